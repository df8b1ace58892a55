/**
 * Run by mappings.test.ts in a process of its own (`node --expose-gc --import tsx`), since
 * what it changes is process-wide, and prints its figures as one JSON line:
 *
 * - `thresholds [--fix]`: frees one mapped 4 MiB buffer, then allocates 1 MiB and says how
 *   much malloc's mapped bytes grew. With glibc's adjustment on, the free raised the mmap
 *   threshold above 1 MiB and the second buffer comes from an arena.
 * - `trim`: fills an arena with 4 KiB buffers, frees nine in ten (the holes lie below live
 *   ones, which glibc never returns by itself), then trims, and says what the resident
 *   anonymous memory was before and after.
 */
import { readFileSync } from 'node:fs';
import { fixMallocThresholds, mallocStats, trimMalloc } from '../../../src/os/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const mapped = () => {
  const stats = mallocStats();
  if (!stats) throw new Error('no mallinfo2 here');
  return stats.mmappedBytes;
};
const rssAnonKb = () =>
  Number(/^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]);

/** Full collections until `done` (V8 frees a dead ArrayBuffer's memory after one, maybe off the main thread). */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 10 && !done(); i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function thresholds(fix: boolean) {
  const fixed = fix ? fixMallocThresholds(128 * 1024) : undefined;
  const held = [Buffer.alloc(4 << 20, 1)];
  const withLarge = mapped();
  held.pop();
  await collectUntil(() => mapped() <= withLarge - (4 << 20));
  const before = mapped();
  const next = Buffer.alloc(1 << 20, 1);
  return { fixed, largeFreed: withLarge - before, mappedGrowth: mapped() - before, next: next.length };
}

async function trim() {
  let all: Buffer[] | undefined = Array.from({ length: 20_000 }, () => Buffer.alloc(4_096, 1));
  const kept = all.filter((_, i) => i % 10 === 0);
  const filledKb = rssAnonKb();
  all = undefined;
  const freeAtLeast = (18_000 * 4_096 * 0.9) / 1024;
  await collectUntil(() => (mallocStats()?.heapFreeBytes ?? 0) / 1024 >= freeAtLeast);
  const beforeKb = rssAnonKb();
  const trimmed = await trimMalloc();
  return { trimmed, filledKb, beforeKb, afterKb: rssAnonKb(), kept: kept.length };
}

const [mode, ...flags] = process.argv.slice(2);
const result = mode === 'trim' ? await trim() : await thresholds(flags.includes('--fix'));
console.log(JSON.stringify(result));
