/**
 * Smoke run of the Byzantine-validator soak (scripts/soak-byzantine.ts, issue 10): three
 * honest validator processes and validator 3's genuine key running every attack of
 * docs/PROTOCOL.md "Threats" in turn, 2 s each, under client load. It checks liveness
 * (every honest node commits all along, no commit gap as long as a full round of
 * attacks would need to halt it), that no honest node leaves consensus, and a bound on RSS.
 * The ten-minute soak with its baseline ratio is `npm run soak:byzantine`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers.js';

const SECONDS = 20;
const MAX_GAP_MS = 5_000;
const MAX_RSS_MB = 600;

interface SoakSummary {
  honest: Array<{
    node: number;
    maxCommitGapMs: number;
    longGaps: Array<{ endedAtMs: number; gapMs: number; phase: string }>;
    blocksPerSecond: number;
    syncStarts: number;
    rssMb: { max: number };
  }>;
  txs: { submitted: number; committed: number };
  attackPhases: Array<{ phase: string; sent: number }>;
}

function runSoak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/soak-byzantine.ts'), ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  return new Promise((done) => child.once('exit', (code) => done({ code, stdout, stderr })));
}

describe('Byzantine-validator soak, smoke run', { timeout: 120_000 }, () => {
  it('the honest validators stay live, in consensus and bounded in memory while validator 3 attacks', async (t) => {
    const { code, stdout, stderr } = await runSoak([
      '--seconds',
      String(SECONDS),
      '--warmup-seconds',
      '8',
      '--phase-seconds',
      '2',
      '--no-baseline',
    ]);
    assert.equal(code, 0, `the soak failed:\n${stderr.slice(-3000)}`);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as SoakSummary;
    t.diagnostic(JSON.stringify(summary.honest));
    assert.ok(
      summary.attackPhases.length >= 9,
      `attack phases run: ${summary.attackPhases.map((p) => p.phase)}`,
    );
    assert.ok(
      summary.attackPhases.every((p) => p.sent > 0),
      'every attack sent messages',
    );
    for (const node of summary.honest) {
      assert.ok(node.blocksPerSecond > 0.5, `node ${node.node} committed ${node.blocksPerSecond} blocks/s`);
      assert.ok(
        node.maxCommitGapMs < MAX_GAP_MS,
        `node ${node.node}: longest commit gap ${node.maxCommitGapMs} ms (${JSON.stringify(node.longGaps)})`,
      );
      assert.equal(node.syncStarts, 0, `node ${node.node} left consensus for sync`);
      assert.ok(node.rssMb.max < MAX_RSS_MB, `node ${node.node}: RSS up to ${node.rssMb.max} MB`);
    }
    assert.ok(
      summary.txs.committed >= summary.txs.submitted * 0.9,
      `client load: ${summary.txs.committed} of ${summary.txs.submitted} committed`,
    );
  });
});
