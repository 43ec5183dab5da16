// A write the disk refuses must reject with a StorageError and change nothing, neither in
// memory nor on disk. Tests run as root, so permissions do not stop a write: instead the
// `stories` directory is moved away and a regular file put in its place, so every write
// under it fails with ENOTDIR. Putting the directory back shows what the disk holds.
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StorageError } from '../../server/domain/errors.js';
import type { ChronoEvent, Story } from '../../server/domain/types.js';
import { fixedClock } from '../../server/services/clock.js';
import { StoryService, type Change } from '../../server/services/stories.js';
import { created } from './contract.js';
import { LowdbStore } from '../../server/storage/lowdb-store.js';

const AT = '2024-03-01T10:00:00.000Z';
const LATER = '2024-03-01T11:00:00.000Z';

function story(slug: string): Story {
  return { slug, title: `Story ${slug}`, summary: '', language: 'en', timeZone: 'Europe/Paris', status: 'developing', createdAt: AT, updatedAt: AT, version: 1 };
}

function event(id: string): ChronoEvent {
  return {
    id,
    date: '2024-03-01',
    timeZone: 'Europe/Paris',
    approximate: false,
    title: `Event ${id}`,
    body: '',
    sources: [],
    tags: [],
    importance: 'normal',
    verification: 'confirmed',
    createdAt: AT,
    updatedAt: AT,
    version: 1,
  };
}

/** name → content of every file under `<dataDir>/stories`. */
async function diskSnapshot(storiesDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(storiesDir)).sort()) out[name] = await readFile(path.join(storiesDir, name), 'utf8');
  return out;
}

async function expectStorageFailure(promise: Promise<unknown>, cause = 'ENOTDIR'): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  expect((error as StorageError).code).toBe('storage_failed');
  // the failure is the one we staged, not some other mistake
  expect(((error as StorageError).cause as NodeJS.ErrnoException).code).toBe(cause);
}

describe('LowdbStore: a failed write changes nothing', () => {
  let dataDir: string;
  let storiesDir: string;
  let awayDir: string;
  let store: LowdbStore;
  let broken = false;

  async function breakDisk(): Promise<void> {
    await rename(storiesDir, awayDir);
    await writeFile(storiesDir, 'a regular file where the stories directory was\n');
    broken = true;
  }

  async function repairDisk(): Promise<void> {
    await rm(storiesDir);
    await rename(awayDir, storiesDir);
    broken = false;
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'chrono-failed-write-'));
    storiesDir = path.join(dataDir, 'stories');
    awayDir = path.join(dataDir, 'stories-away');
    store = await LowdbStore.open(dataDir);
    await store.createStory(story('kept'), [event('first'), event('second')]);
    await store.commit('kept', created(event('third'), AT));
  });

  afterEach(async () => {
    if (broken) await repairDisk();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('an append rejects with storage_failed; memory and disk stay as they were', async () => {
    const before = await store.getStory('kept');
    const listBefore = await store.listStories();
    const diskBefore = await diskSnapshot(storiesDir);
    expect(before!.story.version).toBe(2);
    expect(before!.events).toHaveLength(3);

    await breakDisk();
    await expectStorageFailure(store.commit('kept', created(event('lost'), LATER)));

    const after = await store.getStory('kept');
    expect(after!.story.version).toBe(before!.story.version);
    expect(after!.story.updatedAt).toBe(AT);
    expect(after!.events).toHaveLength(before!.events.length);
    expect(after).toEqual(before);
    expect(await store.listStories()).toEqual(listBefore);

    await repairDisk();
    expect(await diskSnapshot(storiesDir)).toEqual(diskBefore);
    const reopened = await LowdbStore.open(dataDir);
    expect(await reopened.getStory('kept')).toEqual(before);
    await reopened.close();
  });

  test('after the disk recovers, the next append builds on the last durable record', async () => {
    await breakDisk();
    await expectStorageFailure(store.commit('kept', created(event('lost'), LATER)));
    await repairDisk();

    // the id of the failed event is free again, and the version moves on from 2, not 3
    const record = await store.commit('kept', created(event('lost'), LATER));
    expect(record.story.version).toBe(3);
    expect(record.events.map((e) => e.id)).toEqual(['first', 'second', 'third', 'lost']);
    const reopened = await LowdbStore.open(dataDir);
    expect(await reopened.getStory('kept')).toEqual(record);
    await reopened.close();
  });

  test('appends queued behind a failing one all fail, and none is applied', async () => {
    const before = await store.getStory('kept');
    const diskBefore = await diskSnapshot(storiesDir);
    await breakDisk();
    const attempts = ['a', 'b', 'c'].map((id) => store.commit('kept', created(event(id), LATER)));
    for (const attempt of attempts) await expectStorageFailure(attempt);
    expect(await store.getStory('kept')).toEqual(before);
    await repairDisk();
    expect(await diskSnapshot(storiesDir)).toEqual(diskBefore);
  });

  test('createStory rejects with storage_failed; the story is not listed, in memory or after reopening', async () => {
    const listBefore = await store.listStories();
    const diskBefore = await diskSnapshot(storiesDir);

    await breakDisk();
    await expectStorageFailure(store.createStory(story('never'), [event('one')]));

    expect(await store.getStory('never')).toBeUndefined();
    expect(await store.listStories()).toEqual(listBefore);
    expect((await store.listStories()).map((s) => s.slug)).not.toContain('never');

    await repairDisk();
    expect(await diskSnapshot(storiesDir)).toEqual(diskBefore);
    const reopened = await LowdbStore.open(dataDir);
    expect(await reopened.getStory('never')).toBeUndefined();
    expect((await reopened.listStories()).map((s) => s.slug)).toEqual(['kept']);
    await reopened.close();

    // the slug is not held by the failed attempt
    const created = await store.createStory(story('never'));
    expect(created.story.slug).toBe('never');
    expect((await store.listStories()).map((s) => s.slug).sort()).toEqual(['kept', 'never']);
  });

  test('createStory failing late, at the rename: the story is not listed, in memory or after reopening', async () => {
    // a directory at the story's file name lets the temp file be written but not renamed
    await mkdir(path.join(storiesDir, 'late.json', 'blocker'), { recursive: true });
    await expectStorageFailure(store.createStory(story('late')), 'EISDIR');
    expect(await store.getStory('late')).toBeUndefined();
    expect((await store.listStories()).map((s) => s.slug)).toEqual(['kept']);

    await rm(path.join(storiesDir, 'late.json'), { recursive: true });
    // at most the write's dot-named temp file is left, and opening ignores it
    const files = (await readdir(storiesDir)).filter((f) => f !== '.late.json.tmp');
    expect(files).toEqual(['kept.json']);
    const reopened = await LowdbStore.open(dataDir);
    expect((await reopened.listStories()).map((s) => s.slug)).toEqual(['kept']);
    await reopened.close();
  });

  test('through StoryService: the error reaches the caller and nothing is published', async () => {
    const published: Change[] = [];
    const service = new StoryService({ store, clock: fixedClock(LATER), publish: (c) => published.push(c) });
    const before = await store.getStory('kept');

    await breakDisk();
    await expectStorageFailure(service.appendEvent('kept', { date: '2024-03-01', title: 'Never stored' }));
    await expectStorageFailure(service.createStory({ slug: 'other', title: 'Other', language: 'en', timeZone: 'Europe/Paris' }));

    expect(published).toEqual([]);
    expect(await service.getStory('kept')).toEqual(before);
    expect((await service.listStories()).map((s) => s.slug)).toEqual(['kept']);
  });
});
