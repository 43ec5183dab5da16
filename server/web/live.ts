// Live readers: each accepted change becomes one Server-Sent Events message whose data
// carries the server-rendered card, so the page never re-implements rendering.
import path from 'node:path';
import ejs from 'ejs';
import type { Request, Response } from 'express';
import { groupOf } from '../domain/dates.js';
import type { Revision } from '../domain/revisions.js';
import type { ChronoEvent, Story } from '../domain/types.js';
import type { Change } from '../services/stories.js';
import type { StoryRecord } from '../storage/store.js';
import { APP_ROOT } from '../config.js';
import { itemView } from './chronology-view.js';
import { LABELS } from './i18n.js';
import { presentStory } from './present.js';

const VIEWS = path.join(APP_ROOT, 'views');

export interface LivePayload {
  v: number;
  kind: Revision['kind'];
  id?: string;
  /** true when the event no longer exists (deleted) */
  gone?: boolean;
  /** the <li> for the event, and a whole day section holding only it, for a day not yet on the page */
  html?: string;
  section?: { key: string; html: string };
  sort?: string;
  match?: { tags: string[]; key: boolean; verification: string; text: string };
  story: { title: string; summary: string; status: string; statusLabel: string; updatedText: string; updatedIso: string; version: number };
}

const templates = new Map<string, ejs.TemplateFunction>();
function template(name: string): ejs.TemplateFunction {
  let fn = templates.get(name);
  if (!fn) {
    const file = path.join(VIEWS, 'partials', `${name}.ejs`);
    fn = ejs.compile(ejs.fileLoader(file).toString(), { filename: file, cache: true });
    templates.set(name, fn);
  }
  return fn;
}

export function livePayload(story: Story, revision: Revision, event: ChronoEvent | undefined): LivePayload {
  const view = presentStory(story);
  const payload: LivePayload = {
    v: revision.storyVersion,
    kind: revision.kind,
    ...(revision.eventId ? { id: revision.eventId } : {}),
    story: { title: story.title, summary: story.summary, status: story.status, statusLabel: view.statusLabel, updatedText: view.updatedText, updatedIso: view.updatedIso, version: story.version },
  };
  if (revision.eventId && !event) payload.gone = true;
  if (event) {
    const labels = LABELS[story.language];
    const item = itemView(event, story, revision.storyVersion);
    const heading = groupOf(event, story.timeZone, story.language);
    payload.html = template('event-item')({ event: item, labels });
    payload.section = { key: heading.key, html: template('day-group')({ group: { heading, events: [item] }, labels }) };
    payload.sort = item.sort;
    payload.match = { tags: event.tags, key: event.importance === 'key', verification: event.verification, text: `${event.title} ${event.body}` };
  }
  return payload;
}

/** The messages a reader missed since `after`, rebuilt from the revisions and the events as they now are. */
export function missedSince(record: StoryRecord, after: number): LivePayload[] {
  const byId = new Map(record.events.map((e) => [e.id, e]));
  return record.revisions
    .filter((r) => r.storyVersion > after && r.storyVersion <= record.story.version)
    .flatMap((r) =>
      r.kind === 'events.imported'
        ? ((r.changes[0]?.after as string[] | undefined) ?? []).map((id) => livePayload(record.story, { ...r, eventId: id }, byId.get(id)))
        : [livePayload(record.story, r, r.eventId ? byId.get(r.eventId) : undefined)],
    );
}

/** A story version from Last-Event-ID or a query parameter. */
export function parseVersion(value: unknown): number | undefined {
  return typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : undefined;
}

export function frame(payload: LivePayload): string {
  // JSON.stringify escapes newlines, so a title with "\n\ndata:" stays inside one data line
  return `id: ${payload.v}\nevent: change\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** A replay larger than this is replaced by "refetch": the page reloads instead. */
const MAX_REPLAY_BYTES = 2_000_000;
/** Unsent bytes a slow reader may pile up before it is cut off. */
const MAX_BUFFERED_BYTES = 1_000_000;

interface Stream {
  res: Response;
  last: number;
  /** messages published while the stream was still replaying; flushed in order afterwards */
  pending: { v: number; text: string | Buffer }[] | null;
}

export interface LiveHubOptions {
  /** what a reader at version `after` missed (Store.changesSince) */
  changesSince: (slug: string, after: number) => Promise<StoryRecord | undefined>;
  maxStreams: number;
  heartbeatMs: number;
  /** a reader further behind than this is told to reload instead of replaying */
  maxReplay: number;
}

/** One process's open streams, per story; fed by StoryService's publish. */
export class LiveHub {
  readonly #streams = new Map<string, Set<Stream>>();
  readonly #hints = new Map<string, Promise<void>>();
  readonly #waiting = new Map<string, Promise<void>>();
  #count = 0;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(private readonly options: LiveHubOptions) {
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs);
    this.#heartbeat.unref();
  }

  get count(): number {
    return this.#count;
  }

  publish = (change: Change): void => {
    const set = this.#streams.get(change.story.slug);
    if (!set?.size) return;
    // many events at once: readers reload rather than receive each card
    const text = Buffer.from(
      change.revision.kind === 'events.imported'
        ? `event: refetch\ndata: ${JSON.stringify({ v: change.revision.storyVersion })}\n\n`
        : frame(livePayload(change.story, change.revision, change.event)),
    ); // encoded once for every reader
    const v = change.revision.storyVersion;
    for (const stream of set) {
      if (stream.pending) stream.pending.push({ v, text });
      else this.#send(stream, v, text);
    }
  };

  /**
   * Something changed in `slug` (another instance, or a backstop tick): read what this
   * process's readers have not had yet from the store and send it, once each, in order.
   */
  hint(slug: string): Promise<void> {
    // hints that arrive while one is waiting to run add nothing: that one will read the latest
    const waiting = this.#waiting.get(slug);
    if (waiting) return waiting;
    const run = (this.#hints.get(slug) ?? Promise.resolve()).then(async () => {
      this.#waiting.delete(slug);
      const set = this.#streams.get(slug);
      if (!set?.size) return;
      const after = Math.min(...[...set].map((s) => s.last));
      const record = await this.options.changesSince(slug, after);
      if (!record || record.story.version <= after) return;
      const missed = missedSince(record, after);
      const refetch = missed.some((p) => p.kind === 'events.imported') || record.story.version - after > this.options.maxReplay;
      const frames = refetch ? [{ v: record.story.version, text: `event: refetch\ndata: ${JSON.stringify({ v: record.story.version })}\n\n` }] : missed.map((p) => ({ v: p.v, text: frame(p) }));
      for (const stream of this.#streams.get(slug) ?? []) {
        // a stream still replaying gets these after its replay, minus what the replay covered
        if (stream.pending) stream.pending.push(...frames);
        else for (const f of frames) this.#send(stream, f.v, f.text);
      }
    });
    const settled = run.catch(() => undefined);
    this.#waiting.set(slug, run);
    this.#hints.set(slug, settled);
    void settled.then(() => {
      if (this.#hints.get(slug) === settled) this.#hints.delete(slug);
    });
    return run;
  }

  /** The backstop: every story with readers here is checked against the store. */
  async catchUpAll(): Promise<void> {
    await Promise.allSettled([...this.#streams.keys()].map((slug) => this.hint(slug)));
  }

  /** Opens a stream; `after` is the version the reader already has (Last-Event-ID or ?since=). */
  async open(slug: string, req: Request, res: Response, after: number | undefined): Promise<void> {
    if (this.#count >= this.options.maxStreams) {
      res.status(503).set({ 'Retry-After': '30', 'Cache-Control': 'no-store' }).type('text/plain').send('Too many live readers on this server: poll the changes API instead.');
      return;
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const stream: Stream = { res, last: after ?? 0, pending: [] };
    let set = this.#streams.get(slug);
    if (!set) this.#streams.set(slug, (set = new Set()));
    set.add(stream);
    this.#count++;
    res.on('error', () => this.#drop(slug, stream));
    req.on('close', () => this.#drop(slug, stream));

    // a stream already open cannot become an error page: if the store fails, end it and let
    // the reader reconnect (with Last-Event-ID) a moment later
    const record = await this.options.changesSince(slug, after ?? Number.MAX_SAFE_INTEGER).catch(() => undefined);
    if (!record) return void res.end();
    const current = record.story.version;
    if (after !== undefined && after < current) {
      if (current - after > this.options.maxReplay) res.write(`event: refetch\ndata: ${JSON.stringify({ v: current })}\n\n`);
      else {
        // one revision may carry several events (an import): written as they come, same id
        const frames = missedSince(record, after).map(frame);
        const bytes = frames.reduce((n, f) => n + f.length, 0);
        if (bytes > MAX_REPLAY_BYTES) res.write(`event: refetch\ndata: ${JSON.stringify({ v: current })}\n\n`);
        else for (const f of frames) res.write(f);
      }
    }
    stream.last = Math.max(stream.last, current);
    const pending = stream.pending ?? [];
    stream.pending = null;
    for (const { v, text } of pending) this.#send(stream, v, text);
  }

  #drop(slug: string, stream: Stream): void {
    const set = this.#streams.get(slug);
    if (set?.delete(stream)) this.#count--;
    if (set && !set.size) this.#streams.delete(slug);
  }

  #send(stream: Stream, v: number, text: string | Buffer): void {
    if (v <= stream.last || stream.res.writableEnded) return;
    stream.last = v;
    // a reader that cannot keep up is cut off; it reconnects with Last-Event-ID and catches up
    if (stream.res.writableLength > MAX_BUFFERED_BYTES) {
      stream.res.end();
      return;
    }
    stream.res.write(text);
  }

  #beat(): void {
    for (const set of this.#streams.values()) for (const s of set) if (!s.pending && !s.res.writableEnded) s.res.write(': keep-alive\n\n');
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const set of this.#streams.values()) for (const s of set) s.res.end();
    this.#streams.clear();
    this.#count = 0;
  }
}
