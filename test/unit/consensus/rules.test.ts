/**
 * The safety rules component (src/consensus/rules.ts): the correct rules case by case, the
 * core asking whatever rules it is given, and src/ free of test-only consensus code (the
 * broken variants and the HMAC scheme live in test/sim).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { jolteonRules, type SafetyRules, type TimeoutCertificate } from '../../../src/consensus/index.js';
import { brokenRules } from '../../sim/broken-rules.js';
import { committedHeights, makeNet, startAll } from './helpers.js';

const blockId = new Uint8Array(32).fill(1);
const fresh = { lastVotedRound: 0, highestTimeoutRound: 0 };

/** A TC of `round` whose signers report these high-QC rounds (only the rounds are read). */
function tcOf(round: number, highQcRounds: number[]): TimeoutCertificate {
  const highQc = { round: Math.max(...highQcRounds), blockId, signers: [], signatures: [] };
  return { round, highQc, signers: highQcRounds.map((_, i) => i), highQcRounds, signatures: [] };
}

describe('consensus rules: jolteonRules', () => {
  it('[V1] votes at most once per round and never in a round it timed out in', () => {
    const candidate = { round: 5, blockId, qcRound: 4, tc: undefined };
    assert.equal(jolteonRules.safeToVote(candidate, fresh), true);
    assert.equal(jolteonRules.safeToVote(candidate, { lastVotedRound: 5, highestTimeoutRound: 0 }), false);
    assert.equal(jolteonRules.safeToVote(candidate, { lastVotedRound: 4, highestTimeoutRound: 5 }), false);
  });

  it('[V2] extends the previous round QC, or after a TC the highest QC it reports', () => {
    const vote = (qcRound: number, tc?: TimeoutCertificate) =>
      jolteonRules.safeToVote({ round: 7, blockId, qcRound, tc }, fresh);
    assert.equal(vote(5), false, 'a QC two rounds back without a TC');
    assert.equal(vote(5, tcOf(6, [5, 4, 3])), true, 'the TC of round 6 reports 5 as its highest');
    assert.equal(vote(4, tcOf(6, [5, 4, 3])), false, 'below the highest QC the TC reports');
    assert.equal(vote(5, tcOf(5, [5, 4, 3])), false, 'a TC of another round');
  });

  it('[C1] commits the parent of a 2-chain of consecutive rounds only', () => {
    assert.equal(jolteonRules.commitRuling(9, 8), 'commitParent');
    assert.equal(jolteonRules.commitRuling(9, 7), 'none');
    assert.equal(jolteonRules.commitRuling(9, undefined), 'fetchParent');
  });

  it("[V1, V5] counts only a signer's first proposal or vote of a round", () => {
    for (const kind of ['proposal', 'vote'] as const) {
      assert.equal(jolteonRules.processesRepeat(kind, false), false);
      assert.equal(jolteonRules.processesRepeat(kind, true), false);
    }
  });
});

describe('consensus rules: injected into the core', () => {
  it('the core votes and commits only as its rules say', () => {
    const correct = makeNet(4);
    startAll(correct);
    assert.deepEqual(committedHeights(correct, 0), [1, 2, 3, 4, 5, 6, 7, 8]);

    const neverVote: SafetyRules = { ...jolteonRules, safeToVote: () => false };
    const silent = makeNet(4, { rules: neverVote });
    startAll(silent);
    assert.deepEqual(committedHeights(silent, 0), [], 'no votes, no QC, nothing committed');

    // the 1-chain rule commits each block as soon as its QC is seen: one block more
    const oneChain = makeNet(4, { rules: brokenRules('oneChainCommit') });
    startAll(oneChain);
    assert.deepEqual(committedHeights(oneChain, 0), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('consensus rules: src/ carries no test-only consensus code', () => {
  it('no test branches, broken variants or the HMAC test scheme under src/', () => {
    const root = join(import.meta.dirname, '../../../src');
    const offenders: string[] = [];
    let scanned = 0;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          scanned++;
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/testOnly|breakage|hmacTestScheme/i.test(line))
                offenders.push(`${path}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(root);
    assert.ok(scanned > 50, `only ${scanned} source files found under ${root}`);
    assert.deepEqual(
      offenders,
      [],
      'test-only code belongs under test/ (test/sim/broken-rules.ts, hmac-scheme.ts)',
    );
  });
});
