// Started by run.ts as a child process, so the benchmark's HTTP clients do not share the
// server's event loop: serves one data directory through the real app on 127.0.0.1 and an
// ephemeral port, and reports over IPC how long each request took inside the server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { compose } from '../../server/compose.js';
import { loadConfig } from '../../server/config.js';

export type ToServer = { type: 'take' } | { type: 'close' };
export type FromServer = { type: 'ready'; port: number } | { type: 'times'; times: number[] };

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  console.error('usage: started by tests/bench/run.ts with an IPC channel and a data directory');
  process.exit(2);
}
const send = (message: FromServer) => process.send!(message);

const { app, close } = await compose(loadConfig({ CHRONO_DATA_DIR: dataDir, NODE_ENV: 'production' }), pino({ level: 'silent' }));

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

process.on('message', (message: ToServer) => {
  if (message.type === 'take') {
    send({ type: 'times', times });
    times = [];
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
});

server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.address() as AddressInfo).port }));
