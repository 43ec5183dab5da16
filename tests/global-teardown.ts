// Stops the cluster tests/global-setup.ts started, if it started one.
export default async function globalTeardown(): Promise<void> {
  (globalThis as { stopTestCluster?: () => void }).stopTestCluster?.();
}
