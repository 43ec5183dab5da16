// Started by run.ts as a child process: holds many Server-Sent Events connections to one
// live URL (each its own socket, agent: false, as separate readers would), records when each
// message reaches each connection, and reports over IPC. Only 127.0.0.1 is used.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export type ToClients =
  | { type: 'ping' }
  | { type: 'open'; port: number; path: string; count: number; parallel: number; timeoutMs: number }
  | { type: 'watch'; v: number }
  | { type: 'report' }
  | { type: 'close' };
export type FromClients =
  | { type: 'pong'; at: number }
  | { type: 'opened'; open: number; failed: number; errors: string[]; ms: number }
  /** every open connection has message `v` (or the connections that are left have) */
  | { type: 'complete'; v: number; at: number }
  | { type: 'report'; arrivals: Record<string, number[]>; open: number; dropped: number };

const epochMs = () => performance.timeOrigin + performance.now();

if (!process.send) {
  console.error('usage: started by tests/bench/run.ts with an IPC channel');
  process.exit(2);
}
const send = (message: FromClients) => process.send!(message);

interface Conn {
  req: http.ClientRequest;
  res?: http.IncomingMessage;
  buffer: string;
  open: boolean;
}

const conns: Conn[] = [];
/** story version → arrival times (epochMs), one per connection that got it */
const arrivals = new Map<number, number[]>();
let dropped = 0;
let watching: number | undefined;

const openCount = () => conns.reduce((n, c) => n + (c.open ? 1 : 0), 0);

function checkComplete(): void {
  if (watching === undefined) return;
  if ((arrivals.get(watching)?.length ?? 0) >= openCount()) {
    send({ type: 'complete', v: watching, at: epochMs() });
    watching = undefined;
  }
}

function onData(conn: Conn, chunk: string): void {
  const at = epochMs();
  conn.buffer += chunk;
  let end: number;
  // messages are separated by a blank line; only the `id:` field matters here
  while ((end = conn.buffer.indexOf('\n\n')) >= 0) {
    const message = conn.buffer.slice(0, end);
    conn.buffer = conn.buffer.slice(end + 2);
    const m = /^id: (\d+)$/m.exec(message);
    if (!m) continue;
    const v = Number(m[1]);
    let list = arrivals.get(v);
    if (!list) arrivals.set(v, (list = []));
    list.push(at);
    if (v === watching) checkComplete();
  }
}

function openOne(port: number, path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const conn: Conn = { req: undefined as unknown as http.ClientRequest, buffer: '', open: false };
    const timer = setTimeout(() => {
      conn.req.destroy();
      resolve(`no response within ${timeoutMs} ms`);
    }, timeoutMs);
    conn.req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { Accept: 'text/event-stream', 'Cache-Control': 'no-cache' } }, (res) => {
      clearTimeout(timer);
      if (res.statusCode !== 200) {
        res.resume();
        return resolve(`status ${res.statusCode}`);
      }
      conn.res = res;
      res.setEncoding('utf8');
      // open once the first bytes (the "retry:" line) arrive
      res.once('data', () => {
        conn.open = true;
        conns.push(conn);
        resolve(undefined);
      });
      res.on('data', (c: string) => onData(conn, c));
      res.on('close', () => {
        if (conn.open) {
          conn.open = false;
          dropped++;
          checkComplete();
        }
      });
    });
    conn.req.on('error', (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
  });
}

process.on('message', async (message: ToClients) => {
  if (message.type === 'ping') {
    send({ type: 'pong', at: epochMs() });
  } else if (message.type === 'open') {
    const start = performance.now();
    const errors: string[] = [];
    let next = 0;
    // a bounded number in flight, so the server's accept backlog never overflows
    await Promise.all(
      Array.from({ length: Math.min(message.parallel, message.count) }, async () => {
        while (next < message.count) {
          next++;
          const error = await openOne(message.port, message.path, message.timeoutMs);
          if (error) errors.push(error);
        }
      }),
    );
    send({ type: 'opened', open: openCount(), failed: errors.length, errors: [...new Set(errors)].slice(0, 5), ms: performance.now() - start });
  } else if (message.type === 'watch') {
    watching = message.v;
    checkComplete();
  } else if (message.type === 'report') {
    send({ type: 'report', arrivals: Object.fromEntries([...arrivals].map(([v, t]) => [String(v), t])), open: openCount(), dropped });
  } else if (message.type === 'close') {
    for (const c of conns) {
      c.open = false;
      c.req.destroy();
    }
    process.disconnect();
  }
});
process.on('disconnect', () => {
  for (const c of conns) c.req.destroy();
});
