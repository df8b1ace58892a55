/**
 * Run by mappings.test.ts in a process of its own (`node --expose-gc --import tsx`), since
 * a trim acts on the whole process's malloc: fills an arena with 4 KiB buffers, frees nine
 * in ten (the holes lie below live ones, which glibc never returns by itself), then trims,
 * and prints the resident anonymous memory before and after as one JSON line.
 */
import { readFileSync } from 'node:fs';
import { mallocStats, trimMalloc } from '../../../src/os/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const rssAnonKb = () =>
  Number(/^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]);

let all: Buffer[] | undefined = Array.from({ length: 20_000 }, () => Buffer.alloc(4_096, 1));
const kept = all.filter((_, i) => i % 10 === 0);
const filledKb = rssAnonKb();
all = undefined;
// V8 frees a dead ArrayBuffer's memory after a full collection, maybe off the main thread
const freeAtLeastBytes = 18_000 * 4_096 * 0.9;
for (let i = 0; i < 10 && (mallocStats()?.heapFreeBytes ?? 0) < freeAtLeastBytes; i++) {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const beforeKb = rssAnonKb();
const trimmed = await trimMalloc();
console.log(JSON.stringify({ trimmed, filledKb, beforeKb, afterKb: rssAnonKb(), kept: kept.length }));
