/**
 * The activity tracker and the uptime tally from scripted consensus messages: a healthy
 * validator scores 100%, a stopped one falls, a validator is not blamed for missing a QC,
 * and memory stays within the last rounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  ConsensusMessage,
  QuorumCertificate,
  TimeoutCertificate,
} from '../../../src/consensus/index.js';
import { ActivityTracker, tallyUptime } from '../../../src/node/index.js';

const N = 4;
const QUORUM = 3;
const ID = new Uint8Array(32);
const SIG = new Uint8Array(65);
const qc = (round: number): QuorumCertificate => ({
  round,
  blockId: ID,
  signers: [0, 1, 2],
  signatures: [SIG, SIG, SIG],
});
const tc = (round: number): TimeoutCertificate => ({
  round,
  highQc: qc(round - 1),
  signers: [0, 1, 2],
  highQcRounds: [round - 1, round - 1, round - 1],
  signatures: [SIG, SIG, SIG],
});

function proposal(round: number, withTc?: number): ConsensusMessage {
  return {
    kind: 'proposal',
    proposal: {
      block: {
        header: {
          chainId: 1n,
          height: round,
          round,
          parentHash: ID,
          proposer: new Uint8Array(20),
          timestampMs: round,
          txRoot: ID,
          stateRoot: ID,
          receiptsRoot: new Uint8Array(32),
          parentQc: new Uint8Array(0),
        },
        transactions: [],
      },
      signature: SIG,
      ...(withTc !== undefined ? { tc: tc(withTc) } : {}),
    },
  };
}
const vote = (round: number, signer: number): ConsensusMessage => ({
  kind: 'vote',
  vote: { round, blockId: ID, signer, signature: SIG, sync: { highQc: qc(round - 1) } },
});
const timeout = (round: number, signer: number): ConsensusMessage => ({
  kind: 'timeout',
  timeout: { round, highQc: qc(round - 1), signer, signature: SIG },
});

/** Round-robin leaders, as with reputation off. */
const leaderOf = (round: number) => round % N;

describe('ActivityTracker and tallyUptime', () => {
  it('scores every validator of a healthy network at 100%, collector or not, in or out of QCs', () => {
    // this node is validator 0: it collects the votes of the rounds before those it leads
    const t = new ActivityTracker(N, QUORUM);
    for (let r = 1; r <= 40; r++) {
      const leader = leaderOf(r);
      if (leader === 0) t.observeOwn(0, proposal(r));
      else t.observe(leader, proposal(r));
      if (leaderOf(r + 1) === 0)
        for (const v of [1, 2, 3]) t.observe(v, vote(r, v)); // late voters count too
      else t.observeOwn(0, vote(r, 0));
    }
    const tally = tallyUptime(t.snapshot(), N, leaderOf, { self: 0 });
    for (const [v, { chances, taken }] of tally.entries()) {
      assert.ok(chances > 0, `validator ${v} had chances`);
      assert.equal(taken, chances, `validator ${v}`);
    }
  });

  it('lets a stopped validator fall: missed proposals and timeouts, no votes', () => {
    const t = new ActivityTracker(N, QUORUM);
    const stopped = 3;
    for (let r = 1; r <= 40; r++) {
      const leader = leaderOf(r);
      if (leader === stopped) {
        // its round times out: the others' timeouts, then the next leader's proposal carries the TC
        for (const v of [0, 1, 2]) v === 0 ? t.observeOwn(0, timeout(r, 0)) : t.observe(v, timeout(r, v));
        continue;
      }
      const previousFailed = leaderOf(r - 1) === stopped;
      if (leader === 0) t.observeOwn(0, proposal(r, previousFailed ? r - 1 : undefined));
      else t.observe(leader, proposal(r, previousFailed ? r - 1 : undefined));
      if (leaderOf(r + 1) === 0) for (const v of [1, 2]) t.observe(v, vote(r, v));
    }
    const uptime = tallyUptime(t.snapshot(), N, leaderOf, { self: 0 }).map((x) => x.taken / x.chances);
    assert.deepEqual(uptime.slice(0, 3), [1, 1, 1]);
    assert.equal(uptime[stopped], 0);
  });

  it('counts a timed-out round only once a quorum of timeouts or a TC shows it', () => {
    const t = new ActivityTracker(N, QUORUM);
    t.observe(1, timeout(5, 1)); // one validator alone timing out is not a timed-out round
    t.observe(2, proposal(6));
    t.observe(3, proposal(7));
    t.observe(0, proposal(8));
    const rounds = t.snapshot();
    assert.equal(rounds.find((r) => r.round === 5)?.timedOut, false);
    t.observe(3, proposal(9, 5)); // a TC of round 5
    assert.equal(t.snapshot().find((r) => r.round === 5)?.timedOut, true);
  });

  it('skips the newest rounds, whose messages may still be on the way', () => {
    const t = new ActivityTracker(N, QUORUM);
    t.observe(1, proposal(1));
    t.observe(2, vote(1, 2));
    t.observe(2, proposal(2));
    t.observe(3, proposal(3));
    const tally = tallyUptime(t.snapshot(), N, leaderOf, { settleRounds: 2 });
    assert.deepEqual(
      tally.map((x) => x.chances),
      [1, 2, 1, 1],
      'round 1 only: a collected round for every validator, and a proposal for its leader (1)',
    );
  });

  it('keeps only the last maxRounds rounds and ignores messages from older ones or unknown signers', () => {
    const t = new ActivityTracker(N, QUORUM, { maxRounds: 16 });
    for (let r = 1; r <= 200; r++) t.observe(r % N, proposal(r));
    const rounds = t.snapshot();
    assert.ok(rounds.length <= 16);
    assert.equal(rounds[0].round, 185);
    t.observe(1, proposal(3));
    t.observe(9, proposal(201));
    t.observe(-1, proposal(202));
    assert.equal(t.snapshot()[0].round, 185);
    assert.equal(t.highestRound(), 200);
  });
});
