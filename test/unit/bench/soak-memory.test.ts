/**
 * The soak's memory figures (scripts/soak/memory.ts): growth is the least-squares slope per
 * 10 minutes after the first third of the run, of the process that lived through it, and
 * anonymous memory is split into the V8 heap's committed pages, external buffers and the
 * rest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type MemorySample, memoryFigures, memoryGauges, procMemory } from '../../../scripts/soak/memory.js';

const RUN_MS = 600_000;

/** A sample every 10 s of a process whose anonymous memory grows by `anonKbPerMin`. */
function samples(pid: number, fromMs: number, toMs: number, anonKbPerMin: number): MemorySample[] {
  const out: MemorySample[] = [];
  for (let atMs = fromMs; atMs <= toMs; atMs += 10_000) {
    const anonKb = 100_000 + (anonKbPerMin * atMs) / 60_000;
    out.push({
      atMs,
      pid,
      detailed: true,
      rssKb: anonKb + 50_000,
      anonKb,
      fileKb: 50_000,
      heapUsedKb: 40_000,
      heapTotalKb: 60_000,
      externalKb: 10_000,
    });
  }
  return out;
}

describe('soak memory figures', () => {
  it('the slope after the first third, in MB per 10 minutes, with anonymous memory split apart', () => {
    const run = samples(7, 5_000, RUN_MS, 1024);
    const figures = memoryFigures('validator-0', run, RUN_MS);
    assert.ok(figures.growthMbPer10Min);
    assert.equal(figures.growthMbPer10Min.anon, 10);
    assert.equal(figures.growthMbPer10Min.file, 0);
    assert.equal(figures.growthMbPer10Min.heapTotal, 0);
    // heap and external flat: the growth is outside them
    assert.equal(figures.growthMbPer10Min.otherAnon, 10);
    assert.ok(figures.thirdMb && figures.lastMb);
    assert.equal(figures.thirdMb.heapTotal, 58.6);
    const last = run.at(-1)!;
    assert.equal(figures.lastMb.otherAnon, Math.round((last.anonKb - 60_000 - 10_000) / 102.4) / 10);
  });

  it('fits the resident set over every sample and the heap over the detailed ones, in time order', () => {
    // a status-only sample every second, every fifth one detailed; the file-backed part
    // swings by 40 MB every other second (lmdb pages a write mapped, not yet dropped)
    const run: MemorySample[] = [];
    for (let atMs = 1_000, i = 0; atMs <= RUN_MS; atMs += 1_000, i++) {
      const fileKb = 50_000 + (i % 2) * 40_000;
      const anonKb = 100_000 + atMs / 60;
      const status = { atMs, pid: 7, rssKb: anonKb + fileKb, anonKb, fileKb };
      run.push(
        i % 5 === 0
          ? {
              ...status,
              detailed: true,
              heapUsedKb: 40_000,
              heapTotalKb: 60_000 + atMs / 120,
              externalKb: 10_000,
            }
          : { ...status, detailed: false },
      );
    }
    // a detailed sample lands after the next one (it waited on the node's metrics)
    [run[10], run[11]] = [run[11], run[10]];
    const figures = memoryFigures('validator-0', run, RUN_MS);
    assert.equal(figures.samples, run.length);
    assert.equal(figures.growthMbPer10Min?.anon, 9.8);
    assert.equal(figures.growthMbPer10Min?.file, 0);
    assert.equal(figures.growthMbPer10Min?.heapTotal, 4.9);
    // the first and last figures are detailed samples, so they carry the heap
    assert.equal(figures.firstMb?.heapTotal, Math.round((60_000 + 1_000 / 120) / 102.4) / 10);
    assert.equal(figures.lastMb?.heapTotal, Math.round((60_000 + 596_000 / 120) / 102.4) / 10);
    assert.ok(figures.thirdMb?.heapUsed !== undefined);
  });

  it("glibc's main malloc arena (the [heap] mapping) is sampled apart, with its slope", () => {
    const own = procMemory(process.pid);
    assert.ok(own?.mallocMainKb !== undefined && own.mallocMainKb > 0, `[heap] Rss ${own?.mallocMainKb}`);
    const run = samples(7, 5_000, RUN_MS, 1024).map((s) => ({ ...s, mallocMainKb: 8_000 + s.atMs / 120 }));
    const figures = memoryFigures('validator-0', run, RUN_MS);
    assert.equal(figures.growthMbPer10Min?.mallocMain, 4.9);
    assert.equal(figures.lastMb?.mallocMain, Math.round((8_000 + run.at(-1)!.atMs / 120) / 102.4) / 10);
  });

  it("reads the V8 heap by space from prom-client's process metrics", async () => {
    const register = new Registry();
    collectDefaultMetrics({ register });
    const text = await register.metrics();
    const kb = (name: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      assert.ok(line, `${name} in the exposition`);
      return Math.round(Number(line.split(' ')[1]) / 1024);
    };
    const gauges = memoryGauges(text);
    assert.equal(gauges.heapTotalKb, kb('nodejs_heap_size_total_bytes'));
    assert.equal(gauges.heapNewKb, kb('nodejs_heap_space_size_total_bytes{space="new"}'));
    assert.equal(gauges.heapOldKb, kb('nodejs_heap_space_size_total_bytes{space="old"}'));
    assert.equal(gauges.heapCodeKb, kb('nodejs_heap_space_size_total_bytes{space="code"}'));
    assert.ok(gauges.heapOldKb !== undefined && gauges.heapOldKb > 0);
    assert.equal(
      gauges.heapLargeKb,
      ['large_object', 'new_large_object', 'code_large_object']
        .map((space) => kb(`nodejs_heap_space_size_total_bytes{space="${space}"}`))
        .reduce((a, b) => a + b, 0),
    );
    // no malloc gauges in this registry: absent, not zero
    assert.equal(gauges.mallocFreeKb, undefined);
    assert.equal(gauges.longestMallocTrimMs, undefined);
    assert.equal(memoryGauges('ledger_malloc_trim_longest_seconds 0.0125\n').longestMallocTrimMs, 13);
  });

  it("a restarted process's growth counts from a third of the run into its own life", () => {
    // killed at 100 s, back at 110 s; its memory rises for its first 150 s, then is flat
    const warming = (atMs: number) => Math.min(atMs - 110_000, 150_000) * 0.5;
    const restarted = [
      ...samples(7, 5_000, 100_000, 0),
      ...samples(8, 110_000, RUN_MS, 0).map((s) => ({ ...s, anonKb: s.anonKb + warming(s.atMs) })),
    ];
    const figures = memoryFigures('validator-1', restarted, RUN_MS);
    // measured from 310 s (110 s + a third of the run), past its warm-up: level
    assert.equal(figures.growthMbPer10Min?.anon, 0);
    assert.deepEqual(figures.growthWindow, { fromMinute: 5.2, toMinute: 10, processAgeMinutes: 3.3 });
    // from the run's third (200 s) on, its warm-up would count as growth
    assert.ok((figures.growthFromRunThirdMbPer10Min?.anon ?? 0) > 5, JSON.stringify(figures));
    // restarted too late to have half of the last two thirds past its own third: no slope
    const late = [...samples(7, 5_000, 240_000, 0), ...samples(8, 250_000, RUN_MS, 0)];
    const none = memoryFigures('validator-1', late, RUN_MS);
    assert.equal(none.growthMbPer10Min, null);
    assert.equal(none.growthWindow, null);
    assert.match(none.growthNote ?? '', /past its own first third \(restarted 1 time/);
    assert.ok(none.growthFromRunThirdMbPer10Min, "from the run's third it lived through all of it");
  });

  it('no slope when no process of the node lived through half of the last two thirds', () => {
    const restarted = [...samples(7, 5_000, 400_000, 0), ...samples(8, 420_000, RUN_MS, 0)].filter(
      (s) => s.pid === 8 || s.atMs < 400_000,
    );
    const figures = memoryFigures('validator-1', restarted, RUN_MS);
    assert.equal(figures.growthMbPer10Min, null);
    assert.match(figures.growthNote ?? '', /restarted 1 time/);
  });
});
