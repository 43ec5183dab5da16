import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LowdbStore } from '../../server/storage/lowdb-store.js';
import { MemoryStore } from '../../server/storage/memory-store.js';
import { storeContract } from './contract.js';
import { PgStore } from '../../server/storage/pg-store.js';
import { freshDatabase } from '../pg.js';

storeContract('memory', () => ({
  open: async () => new MemoryStore(),
}));

storeContract('lowdb', () => {
  let dir = '';
  return {
    async open() {
      dir = await mkdtemp(path.join(os.tmpdir(), 'chrono-contract-'));
      return LowdbStore.open(dir);
    },
    async reopen(store) {
      await store.close();
      return LowdbStore.open(dir);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

storeContract('postgresql', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  return {
    async open() {
      db = await freshDatabase();
      return PgStore.open(db.url, { max: 4 });
    },
    async reopen(store) {
      await store.close();
      return PgStore.open(db.url, { max: 4 });
    },
    cleanup: () => db.drop(),
  };
});
