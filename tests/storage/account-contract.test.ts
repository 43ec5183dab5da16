import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LowdbAccountStore } from '../../server/storage/lowdb-account-store.js';
import { MemoryAccountStore } from '../../server/storage/memory-account-store.js';
import { accountStoreContract } from './account-contract.js';

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
