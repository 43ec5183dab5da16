import http from 'node:http';
import path from 'node:path';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { createApp } from '../../server/app.js';
import { APP_ROOT } from '../../server/config.js';
import { AccountService } from '../../server/services/accounts.js';
import { fixedClock } from '../../server/services/clock.js';
import { loadDemoIfEmpty } from '../../server/services/demo.js';
import { StoryService } from '../../server/services/stories.js';
import { MemoryAccountStore } from '../../server/storage/memory-account-store.js';
import { MemoryStore } from '../../server/storage/memory-store.js';
import type { StoryRecord } from '../../server/storage/store.js';
import { LiveHub, type LivePayload } from '../../server/web/live.js';
import { DEMO_SLUG, demoApp } from './harness.js';
import { SseClient, SseParser, eventually, listen, shutdown, type SseMessage } from './sse-client.js';

const ADMIN = { name: 'test', role: 'admin' } as const;
const LIVE = `/stories/${DEMO_SLUG}/live`;

// everything a test opens is closed after it, whatever happened
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Harness = Awaited<ReturnType<typeof demoApp>>;

async function serve(options: Parameters<typeof demoApp>[0] = {}): Promise<Harness & { server: Server; base: string }> {
  const harness = await demoApp(options);
  const { server, base } = await listen(harness.app);
  cleanups.push(async () => {
    harness.live.close();
    await shutdown(server);
  });
  return { ...harness, server, base };
}

async function connect(url: string, headers: Record<string, string> = {}, agent?: http.Agent | false): Promise<SseClient> {
  const client = await SseClient.connect(url, { headers, ...(agent !== undefined ? { agent } : {}) });
  cleanups.push(() => client.close());
  return client;
}

/**
 * The real app with a hub built here: a small replay limit, and optionally a load that waits for the
 * test to let it go ('snapshot-before' reads the story first, 'read-after' reads it once released).
 */
async function customApp(options: { maxReplay?: number; gate?: 'snapshot-before' | 'read-after' }) {
  const store = new MemoryStore();
  const clock = fixedClock('2023-11-20T13:02:00.000Z');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let loading!: () => void;
  const loadStarted = new Promise<void>((r) => (loading = r));
  const live = new LiveHub({
    changesSince: async (slug): Promise<StoryRecord | undefined> => {
      loading();
      if (!options.gate) return store.getStory(slug);
      if (options.gate === 'snapshot-before') {
        const record = await store.getStory(slug);
        await gate;
        return record;
      }
      await gate;
      return store.getStory(slug);
    },
    maxStreams: 10,
    heartbeatMs: 60_000,
    maxReplay: options.maxReplay ?? 500,
  });
  const service = new StoryService({ store, clock, publish: live.publish });
  await loadDemoIfEmpty(service, path.join(APP_ROOT, 'data', 'demo-story.json'));
  const accounts = new AccountService({ accounts: new MemoryAccountStore(), clock });
  const app = createApp({ service, live, accounts, clock, config: { env: 'test', baseUrl: undefined }, logger: pino({ level: 'silent' }) });
  const { server, base } = await listen(app);
  cleanups.push(async () => {
    live.close();
    await shutdown(server);
  });
  return { service, live, base, release, loadStarted };
}

function payload(message: SseMessage): LivePayload {
  return JSON.parse(message.data) as LivePayload;
}

/** Appends an event through the service; returns its id and the story version it made. */
async function append(service: StoryService, title: string, date = '2023-11-21'): Promise<{ id: string; v: number }> {
  const { record, event } = await service.appendEvent(DEMO_SLUG, { date, title });
  return { id: event.id, v: record.story.version };
}

async function version(service: StoryService): Promise<number> {
  return (await service.getStory(DEMO_SLUG)).story.version;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('the SSE parser used by these tests', () => {
  it('joins data lines, keeps ids and event types, collects comments, accepts any line ending and any split', () => {
    const parser = new SseParser();
    const text = ': hello\r\nretry: 3000\r\n\r\nid: 7\nevent: change\ndata: a\ndata: b\n\ndata:c\r\rid\ndata: d\n\nevent: nodata\n\n';
    for (const ch of text) parser.feed(ch); // one character at a time
    expect(parser.comments).toEqual(['hello']);
    expect(parser.retry).toBe(3000);
    expect(parser.messages).toEqual([
      { event: 'change', data: 'a\nb', id: '7', lastEventId: '7' },
      { event: 'message', data: 'c', lastEventId: '7' },
      { event: 'message', data: 'd', id: '', lastEventId: '' },
    ]);
  });
});

describe('GET /stories/:slug/live', () => {
  it('answers with an uncompressed, unbuffered event stream even when the reader accepts gzip and br', async () => {
    const { base } = await serve();
    // control: the app does compress ordinary responses for such a reader
    const control = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`${base}/api/stories/${DEMO_SLUG}`, { agent: false, headers: { 'Accept-Encoding': 'gzip, br' } }, resolve).on('error', reject),
    );
    control.resume();
    expect(control.headers['content-encoding']).toMatch(/gzip|br/);

    const client = await connect(`${base}${LIVE}`, { 'Accept-Encoding': 'gzip, br' });
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(client.headers['cache-control']).toContain('no-cache');
    expect(client.headers['x-accel-buffering']).toBe('no');
    expect(client.headers['content-encoding']).toBeUndefined();
    await client.waitFor(() => client.parser.retry !== undefined, 5000, 'the retry field');
    expect(client.raw.startsWith('retry: 3000\n\n')).toBe(true);
    expect(client.parser.retry).toBe(3000);
  });

  it('pushes an event appended after connecting as exactly one change message carrying the rendered card', async () => {
    const { base, service } = await serve();
    const client = await connect(`${base}${LIVE}`);
    const created = await append(service, 'Sam Altman revient chez OpenAI');
    await client.waitForChange(created.v);
    const sentinel = await append(service, 'Sentinelle', '2023-11-22');
    await client.waitForChange(sentinel.v);

    expect(client.changeIds()).toEqual([created.v, sentinel.v]);
    const [message] = client.changes();
    expect(message!.id).toBe(String(created.v));
    expect(message!.event).toBe('change');
    const data = payload(message!);
    expect(data).toMatchObject({ v: created.v, kind: 'event.created', id: created.id });
    expect(data.gone).toBeUndefined();
    expect(data.html).toContain(`<article id="${created.id}"`);
    expect(data.html).toContain('Sam Altman revient chez OpenAI');
    expect(typeof data.sort).toBe('string');
    expect(data.sort).not.toBe('');
    expect(typeof data.section?.key).toBe('string');
    expect(data.section?.html).toContain(`<article id="${created.id}"`);
    expect(data.story.version).toBe(created.v);
  });

  it('keeps a title with newlines and "data:"/"id:" lines inside one message', async () => {
    const { base, service } = await serve();
    const client = await connect(`${base}${LIVE}`);
    const title = 'Ligne 1\n\ndata: injected\nid: 999';
    const created = await append(service, title);
    await client.waitForChange(created.v);
    const sentinel = await append(service, 'Sentinelle', '2023-11-22');
    await client.waitForChange(sentinel.v);

    expect(client.changeIds()).toEqual([created.v, sentinel.v]);
    expect(client.messages.filter((m) => m.event !== 'change')).toEqual([]);
    expect(client.messages.some((m) => m.id === '999' || m.lastEventId === '999')).toBe(false);
    expect(client.messages.some((m) => m.data === 'injected')).toBe(false);
    expect(client.raw).not.toMatch(/^(data: injected|id: 999)$/m);
    const data = payload(client.changes()[0]!);
    expect(data.id).toBe(created.id);
    expect(data.match?.text.startsWith(title)).toBe(true);
    expect(data.html).toContain(title);
  });

  it('replays what a reconnecting reader missed, from Last-Event-ID or ?since=, each message once and in order', async () => {
    const { base, service } = await serve();
    const from = await version(service);
    const added = [await append(service, 'Un'), await append(service, 'Deux'), await append(service, 'Trois')];
    expect(added.map((a) => a.v)).toEqual(range(from + 1, from + 3));

    const byHeader = await connect(`${base}${LIVE}`, { 'Last-Event-ID': String(from) });
    const byQuery = await connect(`${base}${LIVE}?since=${from}`);
    for (const client of [byHeader, byQuery]) await client.waitForChange(from + 3);
    const sentinel = await append(service, 'Sentinelle', '2023-11-22');
    for (const client of [byHeader, byQuery]) {
      await client.waitForChange(sentinel.v);
      expect(client.changeIds()).toEqual(range(from + 1, sentinel.v));
      expect(client.changes().slice(0, 3).map((m) => payload(m).id)).toEqual(added.map((a) => a.id));
      expect(client.changes().slice(0, 3).every((m) => payload(m).kind === 'event.created')).toBe(true);
    }
  });

  it('replays updates, corrections, retractions and deletions as they now are', async () => {
    const { base, service } = await serve();
    const edited = await service.appendEvent(DEMO_SLUG, { date: '2023-11-21', title: 'Titre provisoire' });
    const corrected = await service.appendEvent(DEMO_SLUG, { date: '2023-11-21', title: 'Chiffre erroné' });
    const retracted = await service.appendEvent(DEMO_SLUG, { date: '2023-11-21', title: 'Rumeur de rachat' });
    const deleted = await service.appendEvent(DEMO_SLUG, { date: '2023-11-21', title: 'Doublon' });
    const from = await version(service);

    await service.updateEvent(DEMO_SLUG, edited.event.id, { title: 'Titre définitif' }, edited.event.version, ADMIN);
    await service.updateEvent(DEMO_SLUG, corrected.event.id, { title: 'Chiffre exact' }, corrected.event.version, ADMIN, { note: 'Le chiffre a été rectifié' });
    await service.retractEvent(DEMO_SLUG, retracted.event.id, 'Information non confirmée', ADMIN);
    await service.deleteEvent(DEMO_SLUG, deleted.event.id, ADMIN);

    const client = await connect(`${base}${LIVE}`, { 'Last-Event-ID': String(from) });
    await client.waitForChange(from + 4);
    expect(client.changeIds()).toEqual(range(from + 1, from + 4));
    const [update, correction, retraction, deletion] = client.changes().map(payload);

    expect(update).toMatchObject({ kind: 'event.updated', id: edited.event.id });
    expect(update!.html).toContain(`<article id="${edited.event.id}"`);
    expect(update!.html).toContain('Titre définitif');
    expect(update!.html).not.toContain('Titre provisoire');

    expect(correction).toMatchObject({ kind: 'event.corrected', id: corrected.event.id });
    expect(correction!.html).toContain('Chiffre exact');
    expect(correction!.html).toContain('Le chiffre a été rectifié');

    expect(retraction).toMatchObject({ kind: 'event.retracted', id: retracted.event.id });
    expect(retraction!.html).toContain('<s>Rumeur de rachat</s>');
    expect(retraction!.html).toContain('Information non confirmée');
    expect(retraction!.html).toContain('event--retracted');

    expect(deletion).toMatchObject({ kind: 'event.deleted', id: deleted.event.id, gone: true });
    expect(deletion!.html).toBeUndefined();
    expect(deletion!.section).toBeUndefined();
  });

  it('tells a reader more than 500 versions behind to refetch instead of replaying, then carries on live', async () => {
    const { base, service } = await serve();
    const from = await version(service);
    for (let i = 0; i < 501; i++) await service.appendEvent(DEMO_SLUG, { id: `e-${i}`, date: '2023-11-21', title: `Événement ${i}` });
    const current = await version(service);
    expect(current - from).toBe(501);

    const behind = await connect(`${base}${LIVE}?since=0`);
    const byHeader = await connect(`${base}${LIVE}`, { 'Last-Event-ID': String(from) });
    // exactly at the limit: all 500 missed messages are replayed on the one connection (about 1.3 MB)
    const atLimit = await connect(`${base}${LIVE}?since=${current - 500}`);
    for (const client of [behind, byHeader]) {
      await client.waitFor(() => client.messages.some((m) => m.event === 'refetch'), 5000, 'a refetch message');
      expect(client.messages.filter((m) => m.event === 'refetch')).toHaveLength(1);
      expect(JSON.parse(client.messages.find((m) => m.event === 'refetch')!.data)).toEqual({ v: current });
    }
    await atLimit.waitForChange(current, 10_000);

    const next = await append(service, 'Après le rattrapage', '2023-11-22');
    for (const client of [behind, byHeader, atLimit]) await client.waitForChange(next.v);
    expect(behind.changeIds()).toEqual([next.v]);
    expect(byHeader.changeIds()).toEqual([next.v]);
    expect(atLimit.messages.some((m) => m.event === 'refetch')).toBe(false);
    expect(atLimit.changeIds()).toEqual(range(current - 499, next.v));
  });

  it('replays up to the limit and asks for a refetch one version beyond it', async () => {
    const { base, service } = await customApp({ maxReplay: 5 });
    const from = await version(service);
    for (let i = 0; i < 6; i++) await append(service, `Événement ${i}`);
    const current = from + 6;

    const beyond = await connect(`${base}${LIVE}?since=${from}`);
    const atLimit = await connect(`${base}${LIVE}`, { 'Last-Event-ID': String(from + 1) });
    await beyond.waitFor(() => beyond.messages.some((m) => m.event === 'refetch'), 5000, 'a refetch message');
    await atLimit.waitForChange(current);
    const next = await append(service, 'Suite', '2023-11-22');
    for (const client of [beyond, atLimit]) await client.waitForChange(next.v);

    expect(beyond.messages.map((m) => m.event)).toEqual(['refetch', 'change']);
    expect(beyond.changeIds()).toEqual([next.v]);
    expect(atLimit.messages.some((m) => m.event === 'refetch')).toBe(false);
    expect(atLimit.changeIds()).toEqual(range(from + 2, next.v));
  });

  it('sends a keep-alive comment on the heartbeat', async () => {
    const { base } = await serve({ heartbeatMs: 50 });
    const client = await connect(`${base}${LIVE}`);
    await client.waitFor(() => client.comments.includes('keep-alive'), 1000, 'a keep-alive comment');
    expect(client.raw).toContain('\n: keep-alive\n\n');
    expect(client.messages).toEqual([]);
  });

  it('refuses streams beyond the cap with 503 and Retry-After, and frees a place when a reader leaves', async () => {
    const { base, live } = await serve({ maxStreams: 2 });
    const first = await connect(`${base}${LIVE}`);
    const second = await connect(`${base}${LIVE}`);
    expect([first.status, second.status]).toEqual([200, 200]);
    await eventually(() => live.count === 2, 5000, 'two open streams');

    const third = await connect(`${base}${LIVE}`);
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toMatch(/^\d+$/);
    expect(third.headers['content-type']).not.toMatch(/event-stream/);
    await third.waitForEnd();
    expect(live.count).toBe(2);

    first.close();
    await eventually(() => live.count === 1, 5000, 'the closed stream to be forgotten');
    const fourth = await connect(`${base}${LIVE}`);
    expect(fourth.status).toBe(200);
    await eventually(() => live.count === 2, 5000, 'the new stream');

    second.close();
    fourth.close();
    await eventually(() => live.count === 0, 5000, 'every stream to be forgotten');
  });

  it('delivers a change published while the reader connects, once and in order', async () => {
    const { base, service } = await serve();
    const from = await version(service);
    for (const title of ['Un', 'Deux', 'Trois']) await append(service, title);
    // start the reconnection and append while it is in flight
    const pending = connect(`${base}${LIVE}`, { 'Last-Event-ID': String(from) });
    const during = Promise.all([append(service, 'Quatre'), append(service, 'Cinq')]);
    const [client] = await Promise.all([pending, during]);
    await client.waitForChange(from + 5);
    const sentinel = await append(service, 'Sentinelle', '2023-11-22');
    await client.waitForChange(sentinel.v);
    expect(client.changeIds()).toEqual(range(from + 1, sentinel.v));
  });

  it('answers an unknown story with 404 and opens no stream', async () => {
    const { base, live } = await serve();
    const client = await connect(`${base}/stories/no-such-story/live`);
    expect(client.status).toBe(404);
    expect(client.headers['content-type']).not.toMatch(/event-stream/);
    await client.waitForEnd();
    expect(live.count).toBe(0);
  });
});

describe('changes published while a reconnecting reader is still replaying', () => {
  it.each(['snapshot-before', 'read-after'] as const)('queues them behind the replay and sends each once (%s)', async (mode) => {
    const { service, base, release, loadStarted } = await customApp({ gate: mode });
    const from = await version(service);
    for (const title of ['Un', 'Deux', 'Trois']) await append(service, title);

    const client = await connect(`${base}${LIVE}`, { 'Last-Event-ID': String(from) });
    await loadStarted;
    const four = await append(service, 'Quatre');
    const five = await append(service, 'Cinq');
    expect(client.changes()).toEqual([]); // nothing may overtake the replay
    release();

    await client.waitForChange(five.v);
    const sentinel = await append(service, 'Sentinelle', '2023-11-22');
    await client.waitForChange(sentinel.v);
    expect(client.changeIds()).toEqual(range(from + 1, sentinel.v));
    expect(client.changes().slice(3, 5).map((m) => payload(m).id)).toEqual([four.id, five.id]);
  });
});

describe('many readers', () => {
  it('delivers every change to 1,000 concurrent readers exactly once and in version order', async () => {
    const READERS = 1000;
    const APPENDS = 20;
    const { base, service, live } = await serve({ maxStreams: READERS + 10 });
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    cleanups.push(() => agent.destroy());

    const clients = await Promise.all(Array.from({ length: READERS }, () => connect(`${base}${LIVE}`, {}, agent)));
    expect(clients.every((c) => c.status === 200)).toBe(true);
    await eventually(() => live.count === READERS, 30_000, `${READERS} open streams`);

    const from = await version(service);
    const ids: string[] = [];
    for (let i = 0; i < APPENDS; i++) {
      ids.push((await append(service, `Dépêche ${i}`)).id);
      await new Promise((r) => setTimeout(r, 3));
    }
    const last = from + APPENDS;
    await Promise.all(clients.map((c) => c.waitForChange(last, 30_000)));

    const expected = range(from + 1, last);
    const wrong = clients.filter((c) => JSON.stringify(c.changeIds()) !== JSON.stringify(expected));
    expect(wrong.map((c) => c.changeIds())).toEqual([]);
    expect(clients.every((c) => c.changes().every((m, i) => payload(m).id === ids[i]))).toBe(true);

    for (const c of clients) c.close();
    await eventually(() => live.count === 0, 30_000, 'every stream to be forgotten');
  }, 60_000);
});

describe('GET /api/stories/:slug/changes (the polling fallback)', () => {
  async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .get(url, { agent: false, headers }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        })
        .on('error', reject);
    });
  }

  it('returns the same payloads as the stream, with an ETag and 304 while nothing changed', async () => {
    const { base, service } = await serve();
    const from = await version(service);
    const client = await connect(`${base}${LIVE}`);
    await append(service, 'Sam Altman revient');
    const last = await append(service, 'Emmett Shear nommé', '2023-11-20');
    await client.waitForChange(last.v);

    const url = `${base}/api/stories/${DEMO_SLUG}/changes?after=${from}`;
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/json/);
    const body = JSON.parse(res.body) as { version: number; changes: LivePayload[]; refetch?: boolean };
    expect(body.version).toBe(last.v);
    expect(body.refetch).toBeUndefined();
    expect(body.changes.map((c) => c.v)).toEqual(range(from + 1, last.v));
    // the same messages; only the story summary is as it now is rather than as it was then
    const streamed = client.changes().map(payload);
    const withoutStory = ({ story: _story, ...rest }: LivePayload) => rest;
    expect(body.changes.map(withoutStory)).toEqual(streamed.map(withoutStory));
    expect(body.changes.at(-1)).toEqual(streamed.at(-1));

    const etag = res.headers.etag;
    expect(etag).toBeDefined();
    const again = await get(url, { 'If-None-Match': etag! });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');

    const more = await append(service, 'Encore', '2023-11-22');
    const changed = await get(url, { 'If-None-Match': etag! });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect((JSON.parse(changed.body) as { changes: LivePayload[] }).changes.map((c) => c.v)).toEqual(range(from + 1, more.v));
  });

  it('gives nothing new when the reader is current, and refetch when it is too far behind', async () => {
    const { base, service } = await serve();
    const current = await version(service);
    const none = await get(`${base}/api/stories/${DEMO_SLUG}/changes?after=${current}`);
    expect(JSON.parse(none.body)).toEqual({ version: current, changes: [] });
    for (let i = 0; i < 501; i++) await service.appendEvent(DEMO_SLUG, { id: `e-${i}`, date: '2023-11-21', title: `Événement ${i}` });
    const far = await get(`${base}/api/stories/${DEMO_SLUG}/changes?after=0`);
    expect(JSON.parse(far.body)).toEqual({ version: current + 501, refetch: true, changes: [] });
  });
});
