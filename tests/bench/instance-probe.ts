// Preloaded (node --expose-gc --import tsx --import this) into the scale-out benchmark's Chrono
// instances, which are otherwise the unmodified server/index.ts: on SIGUSR2 it collects garbage
// and prints the process's memory as one JSON line on stderr, as page-server.ts's "stats" message
// does for the single-process benchmarks, so that memory per stream is comparable between them.
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3 && gc; i++) gc();
  const m = process.memoryUsage();
  process.stderr.write(`${JSON.stringify({ benchMemory: { rss: m.rss, heapUsed: m.heapUsed, external: m.external, gc: Boolean(gc) } })}\n`);
});
