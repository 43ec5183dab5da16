import { ConflictError, NotFoundError } from '../../server/domain/errors.js';
import type { StoryChange } from '../../server/domain/revisions.js';
import type { ChronoEvent, Story } from '../../server/domain/types.js';
import type { Store, StoryRecord } from '../../server/storage/store.js';

export interface StoreHarness {
  open(): Promise<Store>;
  /** Closes and opens again on the same data; only for adapters that keep data. */
  reopen?(store: Store): Promise<Store>;
  cleanup?(): Promise<void>;
}

export function makeStory(slug: string, at = '2023-11-17T12:00:00.000Z'): Story {
  return { slug, title: `Story ${slug}`, summary: '', language: 'fr', timeZone: 'Europe/Paris', status: 'developing', createdAt: at, updatedAt: at, version: 1 };
}

export function makeEvent(id: string, date = '2023-11-20', at = '2023-11-20T10:00:00.000Z'): ChronoEvent {
  return {
    id, date, timeZone: 'Europe/Paris', approximate: false, title: `Event ${id}`, body: '', sources: [], tags: [],
    importance: 'normal', verification: 'confirmed', createdAt: at, updatedAt: at, version: 1,
  };
}

export function created(event: ChronoEvent, at: string): StoryChange {
  return { kind: 'event.created', event, at, actor: 'test' };
}

/** What every Store adapter must do; run against each one in contract.test.ts. */
export function storeContract(name: string, harness: () => StoreHarness): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      h = harness();
      store = await h.open();
    });
    afterEach(async () => {
      await store.close();
      await h.cleanup?.();
    });

    it('starts empty', async () => {
      expect(await store.listStories()).toEqual([]);
      expect(await store.getStory('nope')).toBeUndefined();
    });

    it('creates a story with its events and lists it with a count', async () => {
      await store.createStory(makeStory('a'), [makeEvent('one'), makeEvent('two')]);
      const record = await store.getStory('a');
      expect(record?.story).toEqual(makeStory('a'));
      expect(record?.revisions).toHaveLength(1);
      expect(record?.events.map((e) => e.id)).toEqual(['one', 'two']);
      expect(await store.listStories()).toEqual([{ ...makeStory('a'), eventCount: 2 }]);
    });

    it('refuses a second story with the same slug and keeps the first', async () => {
      await store.createStory(makeStory('a'), [makeEvent('one')]);
      await expect(store.createStory({ ...makeStory('a'), title: 'Other' })).rejects.toMatchObject({ code: 'story_exists' });
      expect((await store.getStory('a'))?.story.title).toBe('Story a');
    });

    it('lists the most recently updated stories first', async () => {
      await store.createStory(makeStory('old', '2023-01-01T00:00:00.000Z'));
      await store.createStory(makeStory('new', '2023-06-01T00:00:00.000Z'));
      await store.commit('old', created(makeEvent('e'), '2023-12-01T00:00:00.000Z'));
      expect((await store.listStories()).map((s) => s.slug)).toEqual(['old', 'new']);
    });

    it('appends an event, bumping the story version and update time', async () => {
      await store.createStory(makeStory('a'));
      const record = await store.commit('a', created(makeEvent('one'), '2023-11-21T08:00:00.000Z'));
      expect(record.story).toMatchObject({ version: 2, updatedAt: '2023-11-21T08:00:00.000Z' });
      expect(record.events).toEqual([makeEvent('one')]);
      expect(await store.getStory('a')).toEqual(record);
    });

    it('refuses an append to an unknown story or with a taken id, changing nothing', async () => {
      await expect(store.commit('ghost', created(makeEvent('x'), '2023-11-21T08:00:00.000Z'))).rejects.toBeInstanceOf(NotFoundError);
      await store.createStory(makeStory('a'), [makeEvent('one')]);
      await expect(store.commit('a', created(makeEvent('one'), '2023-11-21T08:00:00.000Z'))).rejects.toBeInstanceOf(ConflictError);
      expect((await store.getStory('a'))?.story.version).toBe(1);
      expect((await store.getStory('a'))?.events).toHaveLength(1);
    });

    it('keeps every one of many concurrent appends, each with its own version', async () => {
      await store.createStory(makeStory('a'));
      const ids = Array.from({ length: 25 }, (_, i) => `e${i}`);
      const results = await Promise.all(ids.map((id) => store.commit('a', created(makeEvent(id), '2023-11-21T08:00:00.000Z'))));
      expect(new Set(results.map((r) => r.story.version)).size).toBe(25);
      const record = await store.getStory('a');
      expect(record?.story.version).toBe(26);
      expect(record?.events.map((e) => e.id).sort()).toEqual([...ids].sort());
    });

    it('does not let a returned snapshot change under the caller', async () => {
      await store.createStory(makeStory('a'));
      const before = await store.getStory('a');
      await store.commit('a', created(makeEvent('one'), '2023-11-21T08:00:00.000Z'));
      expect(before?.events).toHaveLength(0);
      expect(before?.story.version).toBe(1);
    });

    it('keeps stories apart', async () => {
      await store.createStory(makeStory('a'));
      await store.createStory(makeStory('b'));
      await store.commit('a', created(makeEvent('one'), '2023-11-21T08:00:00.000Z'));
      expect((await store.getStory('b'))?.events).toEqual([]);
      expect((await store.getStory('b'))?.story.version).toBe(1);
    });

    it('records a revision for each change, numbered by the story version it produced', async () => {
      await store.createStory(makeStory('a'), [], 'alice');
      await store.commit('a', created(makeEvent('one'), '2023-11-21T08:00:00.000Z'));
      const record = await store.getStory('a');
      expect(record?.revisions).toEqual([
        { storyVersion: 1, kind: 'story.created', at: makeStory('a').createdAt, actor: 'alice', changes: [] },
        { storyVersion: 2, kind: 'event.created', at: '2023-11-21T08:00:00.000Z', actor: 'test', eventId: 'one', changes: [] },
      ]);
    });

    it('replaces an event only at the expected version', async () => {
      await store.createStory(makeStory('a'), [makeEvent('one')]);
      const edited = { ...makeEvent('one'), title: 'Edited', version: 2 };
      const changes = [{ field: 'title', before: 'Event one', after: 'Edited' }];
      const change = { kind: 'event.updated' as const, event: edited, expectedVersion: 1, changes, at: '2023-11-22T00:00:00.000Z', actor: 'bob' };
      const record = await store.commit('a', change);
      expect(record.events[0]).toEqual(edited);
      expect(record.story.version).toBe(2);
      expect(record.revisions.at(-1)).toEqual({ storyVersion: 2, kind: 'event.updated', at: change.at, actor: 'bob', eventId: 'one', changes });
      await expect(store.commit('a', { ...change, event: { ...edited, title: 'Stale', version: 2 } })).rejects.toMatchObject({ code: 'version_mismatch' });
      expect((await store.getStory('a'))?.events[0]?.title).toBe('Edited');
      expect((await store.getStory('a'))?.story.version).toBe(2);
    });

    it('lets exactly one of two concurrent edits from the same version through', async () => {
      await store.createStory(makeStory('a'), [makeEvent('one')]);
      const edit = (title: string) =>
        store.commit('a', { kind: 'event.updated', event: { ...makeEvent('one'), title, version: 2 }, expectedVersion: 1, changes: [], at: '2023-11-22T00:00:00.000Z', actor: title });
      const results = await Promise.allSettled([edit('first'), edit('second')]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((await store.getStory('a'))?.story.version).toBe(2);
    });

    it('deletes an event and updates the story, each recorded', async () => {
      await store.createStory(makeStory('a'), [makeEvent('one'), makeEvent('two')]);
      await store.commit('a', { kind: 'event.deleted', eventId: 'one', changes: [{ field: 'event', before: makeEvent('one'), after: null }], at: '2023-11-22T00:00:00.000Z', actor: 'admin' });
      await expect(store.commit('a', { kind: 'event.deleted', eventId: 'one', changes: [], at: '2023-11-22T00:00:00.000Z', actor: 'admin' })).rejects.toBeInstanceOf(NotFoundError);
      const { slug: _s, version: _v, updatedAt: _u, createdAt: _c, ...fields } = makeStory('a');
      const record = await store.commit('a', { kind: 'story.updated', story: { ...fields, status: 'concluded' }, expectedVersion: 2, changes: [{ field: 'status', before: 'developing', after: 'concluded' }], at: '2023-11-23T00:00:00.000Z', actor: 'admin' });
      expect(record.story).toMatchObject({ slug: 'a', status: 'concluded', version: 3, updatedAt: '2023-11-23T00:00:00.000Z' });
      expect(record.events.map((e) => e.id)).toEqual(['two']);
      expect(record.revisions.map((r) => r.kind)).toEqual(['story.created', 'event.deleted', 'story.updated']);
      await expect(store.commit('a', { kind: 'story.updated', story: fields, expectedVersion: 2, changes: [], at: '2023-11-23T00:00:00.000Z', actor: 'x' })).rejects.toMatchObject({ code: 'version_mismatch' });
    });

    it('never lets a read see a change half-made, while edits commit', async () => {
      await store.createStory(makeStory('a'), [makeEvent('one')]);
      const edits = (async () => {
        for (let v = 1; v <= 20; v++) {
          const event = { ...makeEvent('one'), title: `v${v + 1}`, version: v + 1 };
          await store.commit('a', { kind: 'event.updated', event, expectedVersion: v, changes: [], at: '2023-11-22T00:00:00.000Z', actor: 'x' });
        }
      })();
      const reads: StoryRecord[] = [];
      const reading = (async () => {
        for (let i = 0; i < 40; i++) reads.push((await store.getStory('a'))!);
      })();
      await Promise.all([edits, reading]);
      for (const record of reads) {
        // the story's version is its last revision's, and the event is as that revision left it
        expect(record.revisions.at(-1)!.storyVersion).toBe(record.story.version);
        expect(record.events[0]!.version).toBe(1 + record.revisions.filter((r) => r.eventId === 'one').length);
        expect(record.events[0]!.title).toBe(record.story.version === 1 ? 'Event one' : `v${record.story.version}`);
      }
    });

    it('gives one event with its story, without the rest', async () => {
      await store.createStory(makeStory('a'), [makeEvent('one'), makeEvent('two')]);
      expect(await store.getEvent('a', 'two')).toEqual({ story: makeStory('a'), event: makeEvent('two') });
      expect(await store.getEvent('a', 'nope')).toEqual({ story: makeStory('a'), event: undefined });
      expect(await store.getEvent('ghost', 'one')).toBeUndefined();
    });

    it('gives what a reader missed: every revision after a version, and the events they name as they now are', async () => {
      await store.createStory(makeStory('a'), [makeEvent('old')]);
      await store.commit('a', created(makeEvent('one'), '2023-11-21T08:00:00.000Z'));
      await store.commit('a', created(makeEvent('two'), '2023-11-21T09:00:00.000Z'));
      const edited = { ...makeEvent('one'), title: 'One, edited', version: 2 };
      await store.commit('a', { kind: 'event.updated', event: edited, expectedVersion: 1, changes: [], at: '2023-11-21T10:00:00.000Z', actor: 'x' });
      const missed = await store.changesSince('a', 2);
      expect(missed?.story.version).toBe(4);
      expect(missed?.revisions.filter((r) => r.storyVersion > 2).map((r) => [r.storyVersion, r.eventId])).toEqual([
        [3, 'two'],
        [4, 'one'],
      ]);
      expect(missed?.events.find((e) => e.id === 'one')).toEqual(edited);
      expect(missed?.events.find((e) => e.id === 'two')).toEqual(makeEvent('two'));
      expect((await store.changesSince('a', 4))?.revisions.filter((r) => r.storyVersion > 4)).toEqual([]);
      expect(await store.changesSince('ghost', 0)).toBeUndefined();
    });

    const persistent = harness().reopen !== undefined;
    if (persistent) it('still has everything after a reopen', async () => {
      await store.createStory(makeStory('a'), [makeEvent('one')]);
      await store.commit('a', created(makeEvent('two', '2023-11-19T23:53'), '2023-11-21T08:00:00.000Z'));
      const expected = await store.getStory('a');
      store = await h.reopen!(store);
      expect(await store.getStory('a')).toEqual(expected);
      expect(await store.listStories()).toEqual([{ ...expected!.story, eventCount: 2 }]);
    });
  });
}
