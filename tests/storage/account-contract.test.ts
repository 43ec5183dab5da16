import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LowdbAccountStore } from '../../server/storage/lowdb-account-store.js';
import { MemoryAccountStore } from '../../server/storage/memory-account-store.js';
import { accountStoreContract } from './account-contract.js';
import { PgAccountStore, PgStore } from '../../server/storage/pg-store.js';
import { freshDatabase } from '../pg.js';

accountStoreContract('memory', () => ({
  open: async () => new MemoryAccountStore(),
}));

accountStoreContract('lowdb', () => {
  let dir = '';
  return {
    async open() {
      dir = await mkdtemp(path.join(os.tmpdir(), 'chrono-accounts-'));
      return LowdbAccountStore.open(dir);
    },
    async reopen(store) {
      await store.close();
      return LowdbAccountStore.open(dir);
    },
    openSecond: () => LowdbAccountStore.open(dir),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

accountStoreContract('postgresql', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  const stores: PgStore[] = [];
  const open = async () => {
    const store = await PgStore.open(db.url, { max: 4 });
    stores.push(store);
    return new PgAccountStore(store.pool);
  };
  return {
    async open() {
      db = await freshDatabase();
      return open();
    },
    async reopen() {
      return open();
    },
    openSecond: open,
    async cleanup() {
      for (const s of stores.splice(0)) await s.close();
      await db.drop();
    },
  };
});
