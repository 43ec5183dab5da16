import { ConflictError } from '../../server/domain/errors.js';
import type { ApiToken, Session, User } from '../../server/domain/accounts.js';
import type { AccountStore } from '../../server/storage/account-store.js';

export interface AccountStoreHarness {
  open(): Promise<AccountStore>;
  /** Closes and opens again on the same data; only for adapters that keep data. */
  reopen?(store: AccountStore): Promise<AccountStore>;
  /** Another store on the same data, as the `chrono` CLI opens while the server runs. */
  openSecond?(): Promise<AccountStore>;
  cleanup?(): Promise<void>;
}

export function makeUser(name: string, role: User['role'] = 'editor'): User {
  return { name, role, passwordHash: `scrypt$32768$8$1$salt-${name}$hash-${name}`, disabled: false, createdAt: '2023-11-20T10:00:00.000Z' };
}

export function makeToken(id: string, userName = 'eve'): ApiToken {
  return { id, userName, label: `label ${id}`, hash: `hash-${id}`, createdAt: '2023-11-20T10:00:00.000Z' };
}

export function makeSession(id: string, userName = 'eve'): Session {
  return { idHash: `session-${id}`, userName, csrfToken: `csrf-${id}`, createdAt: '2023-11-20T10:00:00.000Z', expiresAt: '2023-11-27T10:00:00.000Z' };
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

/** What every AccountStore adapter must do; run against each one in account-contract.test.ts. */
export function accountStoreContract(name: string, harness: () => AccountStoreHarness): void {
  describe(`AccountStore contract: ${name}`, () => {
    let h: AccountStoreHarness;
    let store: AccountStore;
    const opened: AccountStore[] = [];

    beforeEach(async () => {
      h = harness();
      store = await h.open();
    });
    afterEach(async () => {
      await store.close();
      for (const other of opened.splice(0)) await other.close();
      await h.cleanup?.();
    });

    describe('users', () => {
      it('starts empty', async () => {
        expect(await store.listUsers()).toEqual([]);
        expect(await store.getUser('eve')).toBeUndefined();
      });

      it('creates users and reads them back', async () => {
        await store.putUser(makeUser('eve'), 'create');
        await store.putUser(makeUser('ada', 'admin'), 'create');
        expect(await store.getUser('eve')).toEqual(makeUser('eve'));
        expect(await store.getUser('ada')).toEqual(makeUser('ada', 'admin'));
        expect((await store.listUsers()).sort(byName)).toEqual([makeUser('ada', 'admin'), makeUser('eve')]);
        expect(await store.getUser('nobody')).toBeUndefined();
      });

      it('refuses to create a user whose name is taken, keeping the first', async () => {
        await store.putUser(makeUser('eve'), 'create');
        const attempt = store.putUser({ ...makeUser('eve', 'admin'), passwordHash: 'other' }, 'create');
        await expect(attempt).rejects.toBeInstanceOf(ConflictError);
        await expect(attempt).rejects.toMatchObject({ code: 'user_exists', field: 'name' });
        expect(await store.getUser('eve')).toEqual(makeUser('eve'));
        expect(await store.listUsers()).toHaveLength(1);
      });

      it('lets exactly one of two concurrent creations of one name through', async () => {
        const results = await Promise.allSettled([store.putUser(makeUser('eve'), 'create'), store.putUser(makeUser('eve', 'admin'), 'create')]);
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect(await store.listUsers()).toHaveLength(1);
      });

      it('replaces a user in place', async () => {
        await store.putUser(makeUser('eve'), 'create');
        await store.putUser(makeUser('ada', 'admin'), 'create');
        await store.putUser({ ...makeUser('eve'), disabled: true }, 'replace');
        expect(await store.getUser('eve')).toEqual({ ...makeUser('eve'), disabled: true });
        expect(await store.listUsers()).toHaveLength(2);
        expect(await store.getUser('ada')).toEqual(makeUser('ada', 'admin'));
      });

      it('creates on replace when the name is free', async () => {
        await store.putUser(makeUser('eve'), 'replace');
        expect(await store.getUser('eve')).toEqual(makeUser('eve'));
      });
    });

    describe('tokens', () => {
      it('starts empty', async () => {
        expect(await store.listTokens()).toEqual([]);
        expect(await store.findToken('hash-a')).toBeUndefined();
      });

      it('puts tokens, finds them by hash and lists them', async () => {
        await store.putToken(makeToken('a'));
        await store.putToken(makeToken('b', 'ada'));
        expect(await store.findToken('hash-a')).toEqual(makeToken('a'));
        expect(await store.findToken('hash-b')).toEqual(makeToken('b', 'ada'));
        expect(await store.findToken('hash-c')).toBeUndefined();
        expect((await store.listTokens()).sort(byId)).toEqual([makeToken('a'), makeToken('b', 'ada')]);
      });

      it('replaces a token with the same id (a revocation)', async () => {
        await store.putToken(makeToken('a'));
        const revoked = { ...makeToken('a'), revokedAt: '2023-11-21T00:00:00.000Z' };
        await store.putToken(revoked);
        expect(await store.listTokens()).toEqual([revoked]);
        expect(await store.findToken('hash-a')).toEqual(revoked);
      });

      it('keeps every one of many concurrent token writes', async () => {
        const ids = Array.from({ length: 10 }, (_, i) => `t${i}`);
        await Promise.all(ids.map((id) => store.putToken(makeToken(id))));
        expect((await store.listTokens()).map((t) => t.id).sort()).toEqual([...ids].sort());
      });

      it('keeps users and tokens apart', async () => {
        await store.putUser(makeUser('eve'), 'create');
        await store.putToken(makeToken('a'));
        await store.putUser({ ...makeUser('eve'), disabled: true }, 'replace');
        expect(await store.listTokens()).toEqual([makeToken('a')]);
        await store.putToken({ ...makeToken('a'), revokedAt: '2023-11-21T00:00:00.000Z' });
        expect(await store.getUser('eve')).toEqual({ ...makeUser('eve'), disabled: true });
      });
    });

    describe('sessions', () => {
      it('puts, gets and deletes sessions', async () => {
        expect(await store.getSession('session-1')).toBeUndefined();
        await store.putSession(makeSession('1'));
        await store.putSession(makeSession('2', 'ada'));
        expect(await store.getSession('session-1')).toEqual(makeSession('1'));
        expect(await store.getSession('session-2')).toEqual(makeSession('2', 'ada'));
        await store.deleteSession('session-1');
        expect(await store.getSession('session-1')).toBeUndefined();
        expect(await store.getSession('session-2')).toEqual(makeSession('2', 'ada'));
      });

      it('deletes an unknown session without complaint', async () => {
        await expect(store.deleteSession('session-none')).resolves.toBeUndefined();
      });

      it('keeps every one of many concurrent session writes', async () => {
        const ids = Array.from({ length: 10 }, (_, i) => String(i));
        await Promise.all(ids.map((id) => store.putSession(makeSession(id))));
        for (const id of ids) expect(await store.getSession(`session-${id}`)).toEqual(makeSession(id));
      });
    });

    const probe = harness();
    if (probe.reopen) {
      it('still has users, tokens and sessions after a reopen', async () => {
        await store.putUser(makeUser('eve'), 'create');
        await store.putUser({ ...makeUser('ada', 'admin'), disabled: true }, 'create');
        await store.putToken(makeToken('a'));
        await store.putToken({ ...makeToken('b'), revokedAt: '2023-11-21T00:00:00.000Z' });
        await store.putSession(makeSession('1'));
        await store.putSession(makeSession('2'));
        await store.deleteSession('session-2');
        store = await h.reopen!(store);
        expect((await store.listUsers()).sort(byName)).toEqual([{ ...makeUser('ada', 'admin'), disabled: true }, makeUser('eve')]);
        expect((await store.listTokens()).sort(byId)).toEqual([makeToken('a'), { ...makeToken('b'), revokedAt: '2023-11-21T00:00:00.000Z' }]);
        expect(await store.findToken('hash-a')).toEqual(makeToken('a'));
        expect(await store.getSession('session-1')).toEqual(makeSession('1'));
        expect(await store.getSession('session-2')).toBeUndefined();
      });
    }

    if (probe.openSecond) {
      describe('with a second store on the same data (the CLI while the server runs)', () => {
        let second: AccountStore;
        beforeEach(async () => {
          // the first store has read the data before the second one writes
          await store.listUsers();
          await store.listTokens();
          second = await h.openSecond!();
          opened.push(second);
        });

        it('sees a user added by the other store on its next call', async () => {
          await second.putUser(makeUser('eve'), 'create');
          expect(await store.getUser('eve')).toEqual(makeUser('eve'));
          expect(await store.listUsers()).toEqual([makeUser('eve')]);
        });

        it('sees a user disabled by the other store on its next call', async () => {
          await store.putUser(makeUser('eve'), 'create');
          expect(await store.getUser('eve')).toEqual(makeUser('eve'));
          expect(await second.getUser('eve')).toEqual(makeUser('eve'));
          await second.putUser({ ...makeUser('eve'), disabled: true }, 'replace');
          expect(await store.getUser('eve')).toEqual({ ...makeUser('eve'), disabled: true });
        });

        it('sees tokens created and revoked by the other store on its next call', async () => {
          await second.putToken(makeToken('a'));
          expect(await store.findToken('hash-a')).toEqual(makeToken('a'));
          const revoked = { ...makeToken('a'), revokedAt: '2023-11-21T00:00:00.000Z' };
          await second.putToken(revoked);
          expect(await store.findToken('hash-a')).toEqual(revoked);
          expect(await store.listTokens()).toEqual([revoked]);
        });

        it('refuses a name the other store took, and loses neither store’s writes', async () => {
          await second.putUser(makeUser('eve'), 'create');
          await expect(store.putUser(makeUser('eve', 'admin'), 'create')).rejects.toMatchObject({ code: 'user_exists' });
          await store.putToken(makeToken('a'));
          await second.putToken(makeToken('b'));
          await store.putUser(makeUser('ada', 'admin'), 'create');
          for (const s of [store, second]) {
            expect((await s.listUsers()).sort(byName)).toEqual([makeUser('ada', 'admin'), makeUser('eve')]);
            expect((await s.listTokens()).sort(byId)).toEqual([makeToken('a'), makeToken('b')]);
          }
        });

        it('keeps every write when both stores write at once', async () => {
          const ids = Array.from({ length: 6 }, (_, i) => `t${i}`);
          await Promise.all(ids.map((id, i) => (i % 2 ? second : store).putToken(makeToken(id))));
          expect((await store.listTokens()).map((t) => t.id).sort()).toEqual(ids);
          expect((await second.listTokens()).map((t) => t.id).sort()).toEqual(ids);
        });
      });
    }
  });
}
