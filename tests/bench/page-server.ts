// Started by run.ts as a child process, so the benchmark's HTTP clients do not share the
// server's event loop: serves one data directory through the real app on 127.0.0.1 and an
// ephemeral port, and reports over IPC how long each request took inside the server.
// For the live benchmarks it also appends events on request (through the composed
// StoryService, exactly what the write API calls) and reports its memory and open streams.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { compose } from '../../server/compose.js';
import { loadConfig } from '../../server/config.js';
import type { Change } from '../../server/services/stories.js';

/** Wall-clock milliseconds with sub-millisecond resolution; comparable across processes on one machine. */
export const epochMs = () => performance.timeOrigin + performance.now();

export type ToServer =
  | { type: 'take' }
  | { type: 'close' }
  | { type: 'ping' }
  | { type: 'stats'; slug?: string; gc?: boolean }
  | { type: 'append'; slug: string; input: Record<string, unknown> };
export type FromServer =
  | { type: 'ready'; port: number }
  | { type: 'times'; times: number[] }
  | { type: 'pong'; at: number }
  | { type: 'stats'; rss: number; heapUsed: number; external: number; streams: number; version?: number }
  | {
      type: 'appended';
      id: string;
      v: number;
      /** epochMs when appendEvent was called, when publish (fan-out) began and ended, and when appendEvent resolved */
      start: number;
      publishStart: number;
      publishEnd: number;
      end: number;
    }
  | { type: 'append-failed'; message: string };

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  console.error('usage: started by tests/bench/run.ts with an IPC channel and a data directory');
  process.exit(2);
}
const send = (message: FromServer) => process.send!(message);

const { app, close, service, live } = await compose(loadConfig({ CHRONO_DATA_DIR: dataDir, NODE_ENV: 'production' }), pino({ level: 'silent' }));

// Time the live fan-out without touching server code: StoryService keeps its publish callback
// (LiveHub.publish) in a TypeScript-private field, reachable at run time; wrap it once.
const deps = (service as unknown as { deps?: { publish?: (change: Change) => void } }).deps;
const publishTimes = new Map<number, { start: number; end: number }>();
const publish = deps?.publish;
if (!deps || !publish) console.error('[page-server] StoryService has no reachable deps.publish: fan-out is not timed (publish times = append end)');
else {
  deps.publish = (change: Change) => {
    const start = epochMs();
    publish(change);
    publishTimes.set(change.revision.storyVersion, { start, end: epochMs() });
  };
}

// Server time = from the request reaching Node to the handler calling res.end(): routing,
// the store read, presenting and EJS rendering; not the socket transfer.
let times: number[] = [];
const server = http.createServer((req, res) => {
  const start = performance.now();
  const end = res.end;
  res.end = function (this: http.ServerResponse, ...args: unknown[]) {
    times.push(performance.now() - start);
    return (end as (...a: unknown[]) => http.ServerResponse).apply(this, args);
  } as typeof res.end;
  app(req, res);
});

process.on('message', async (message: ToServer) => {
  if (message.type === 'take') {
    send({ type: 'times', times });
    times = [];
  } else if (message.type === 'ping') {
    send({ type: 'pong', at: epochMs() });
  } else if (message.type === 'stats') {
    if (message.gc) {
      const gc = (globalThis as { gc?: () => void }).gc;
      for (let i = 0; i < 3 && gc; i++) gc();
    }
    const m = process.memoryUsage();
    const version = message.slug ? (await service.getStory(message.slug)).story.version : undefined;
    send({ type: 'stats', rss: m.rss, heapUsed: m.heapUsed, external: m.external, streams: live.count, version });
  } else if (message.type === 'append') {
    const start = epochMs();
    try {
      const { record, event } = await service.appendEvent(message.slug, message.input);
      const end = epochMs();
      const v = record.story.version;
      const p = publishTimes.get(v) ?? { start: end, end };
      publishTimes.delete(v);
      send({ type: 'appended', id: event.id, v, start, publishStart: p.start, publishEnd: p.end, end });
    } catch (error) {
      send({ type: 'append-failed', message: error instanceof Error ? error.message : String(error) });
    }
  } else if (message.type === 'close') {
    server.close(async () => {
      await close();
      process.disconnect?.();
    });
    server.closeAllConnections();
  }
});
// If the parent dies, do not linger.
process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
  live.close();
});

server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.address() as AddressInfo).port }));
