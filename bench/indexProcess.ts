/**
 * Child process of the memory bench: indexes a folder from an empty store, as the agent host does on first use, and
 * prints its own memory as JSON. A process of its own, so that its peak RSS is the index's, not the bench's.
 */
import { WorkspaceIndex } from '../host/memory';

async function main(): Promise<void> {
  const [root, store] = process.argv.slice(2);
  if (!root || !store) throw new Error('usage: indexProcess.ts <folder> <empty store directory>');
  const index = await WorkspaceIndex.open(root, store);
  await index.update();
  const { chunks } = index.stats();
  await index.close();
  (globalThis as { gc?: () => void }).gc?.();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const rssAfterMb = process.memoryUsage().rss / 2 ** 20;
  process.stdout.write(JSON.stringify({ chunks, peakRssMb, rssAfterMb }));
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
