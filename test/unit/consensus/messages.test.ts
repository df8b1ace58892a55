import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';
import {
  ConsensusError,
  committedInRound,
  decodeProposal,
  decodeQc,
  decodeSafetyData,
  decodeTc,
  decodeTimeout,
  decodeVote,
  defaultReputation,
  encodeProposal,
  encodeQc,
  encodeSafetyData,
  encodeTc,
  encodeTimeout,
  encodeVote,
  genesisQc,
  leaderForRound,
  proposalDigest,
  type QuorumCertificate,
  secp256k1Signer,
  secp256k1Verifier,
  type TimeoutCertificate,
  timeoutDigest,
  verifyQuorumCertificate,
  verifyTimeoutCertificate,
  voteDigest,
} from '../../../src/consensus/index.js';
import { bigintToBytes, bigintToFixed, bytesToBigint } from '../../../src/crypto/bytes.js';
import { publicKeyOf, SECP256K1_N } from '../../../src/crypto/keys.js';
import { loadNativeBackend, nobleBackend } from '../../../src/crypto/verifier.js';
import { hmacTestScheme } from '../../sim/hmac-scheme.js';
import { CHAIN_ID, genesis, validatorSet } from './helpers.js';

const n = 4;
const scheme = hmacTestScheme(3, n);
const vs = validatorSet(scheme, n);
const blockId = new Uint8Array(32).fill(5);

function qcBy(signers: number[], round = 3, id = blockId): QuorumCertificate {
  return {
    round,
    blockId: id,
    signers,
    signatures: signers.map((s) => scheme.signers[s].sign(voteDigest(vs, round, id))),
  };
}

function tcBy(
  signers: number[],
  round: number,
  rounds: number[],
  highQc: QuorumCertificate,
): TimeoutCertificate {
  return {
    round,
    highQc,
    signers,
    highQcRounds: rounds,
    signatures: signers.map((s, i) => scheme.signers[s].sign(timeoutDigest(vs, round, rounds[i]))),
  };
}

describe('consensus encodings', () => {
  it('encodes integers as minimal big-endian bytes at every byte boundary', () => {
    for (const round of [1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32, 2 ** 48 - 1]) {
      const qc = qcBy([0, 1, 2], round);
      const bytes = encodeQc(qc);
      const expected = RLP.encode([
        bigintToBytes(BigInt(round)),
        blockId,
        qc.signers.map((s, i) => [bigintToBytes(BigInt(s)), qc.signatures[i]]),
      ]);
      assert.deepEqual(bytes, expected, `round ${round}`);
      assert.equal(decodeQc(bytes).round, round);
    }
  });

  it('the memoised test verifier still rejects a wrong tag for a digest it has seen', () => {
    const digest = voteDigest(vs, 9, blockId);
    const good = scheme.signers[1].sign(digest);
    assert.equal(scheme.verifier.verify(digest, good, 1), true);
    assert.equal(scheme.verifier.verify(digest, good, 2), false);
    const bad = good.slice();
    bad[0] ^= 1;
    assert.equal(scheme.verifier.verify(digest, bad, 1), false);
    assert.equal(scheme.verifier.verify(digest, good, 1), true);
  });

  it('round-trips every message and rejects non-canonical bytes', () => {
    const qc = qcBy([0, 1, 3]);
    const tc = tcBy([0, 2, 3], 5, [3, 2, 3], qc);
    assert.deepEqual(decodeQc(encodeQc(qc)), qc);
    assert.deepEqual(decodeTc(encodeTc(tc)), tc);
    const vote = {
      round: 4,
      blockId,
      signer: 2,
      signature: new Uint8Array(32).fill(1),
      sync: { highQc: qc, highTc: tc },
    };
    assert.deepEqual(decodeVote(encodeVote(vote)), vote);
    const timeout = { round: 6, highQc: qc, signer: 1, signature: new Uint8Array(65).fill(2), highTc: tc };
    assert.deepEqual(decodeTimeout(encodeTimeout(timeout)), timeout);
    const safety = { lastVotedRound: 4, highestTimeoutRound: 6, highQc: qc };
    assert.deepEqual(decodeSafetyData(encodeSafetyData(safety)), {
      ...safety,
      highTc: undefined,
      blocks: [],
    });
    const withBlocks = { ...safety, highTc: tc, blocks: [genesis()] };
    assert.deepEqual(decodeSafetyData(encodeSafetyData(withBlocks)), withBlocks);
    const proposal = { block: genesis(), signature: new Uint8Array(32).fill(3), tc };
    assert.deepEqual(decodeProposal(encodeProposal(proposal)), proposal);
    // unsorted signers are not canonical
    const bad = encodeQc({ ...qc, signers: [1, 0, 3] });
    assert.throws(() => decodeQc(bad), ConsensusError);
    assert.throws(() => decodeQc(new Uint8Array([0xc1, 0x80])), ConsensusError);
  });

  it('decoding arbitrary bytes either fails with a typed error or re-encodes identically', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        let qc: QuorumCertificate;
        try {
          qc = decodeQc(bytes);
        } catch (e) {
          assert.ok(e instanceof ConsensusError, String(e));
          return;
        }
        assert.deepEqual(encodeQc(qc), bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('separates domains: kind and chainId are part of every signed digest', () => {
    const a = voteDigest(vs, 1, blockId);
    assert.notDeepEqual(a, proposalDigest(vs, 1, blockId));
    assert.notDeepEqual(a, voteDigest({ ...vs, chainId: CHAIN_ID + 1n }, 1, blockId));
    // another network with the same chain id and keys but another genesis signs other digests
    assert.notDeepEqual(a, voteDigest({ ...vs, genesisId: new Uint8Array(32).fill(9) }, 1, blockId));
    assert.notDeepEqual(timeoutDigest(vs, 1, 0), voteDigest(vs, 1, new Uint8Array(32)));
  });
});

describe('certificate verification', () => {
  it('accepts 2f+1 distinct valid signatures and the genesis QC', () => {
    assert.equal(verifyQuorumCertificate(qcBy([0, 1, 2]), vs, scheme.verifier), true);
    assert.equal(verifyQuorumCertificate(genesisQc(vs.genesisId), vs, scheme.verifier), true);
  });

  it('rejects too few, duplicated, out-of-range, forged or re-targeted signatures', () => {
    assert.equal(verifyQuorumCertificate(qcBy([0, 1]), vs, scheme.verifier), false);
    const dup = qcBy([0, 1, 2]);
    assert.equal(verifyQuorumCertificate({ ...dup, signers: [0, 1, 1] }, vs, scheme.verifier), false);
    assert.equal(verifyQuorumCertificate({ ...dup, signers: [0, 1, 9] }, vs, scheme.verifier), false);
    const forged = { ...dup, signatures: [dup.signatures[0], dup.signatures[1], new Uint8Array(32)] };
    assert.equal(verifyQuorumCertificate(forged, vs, scheme.verifier), false);
    assert.equal(verifyQuorumCertificate({ ...dup, round: 4 }, vs, scheme.verifier), false);
    assert.equal(
      verifyQuorumCertificate({ ...dup, blockId: new Uint8Array(32) }, vs, scheme.verifier),
      false,
    );
    // a "genesis" QC for another block
    assert.equal(verifyQuorumCertificate(genesisQc(blockId), vs, scheme.verifier), false);
  });

  it('checks a TC: signatures over (round, highQcRound), highQc = max reported', () => {
    const qc = qcBy([0, 1, 2], 3);
    const tc = tcBy([1, 2, 3], 5, [3, 1, 2], qc);
    assert.equal(verifyTimeoutCertificate(tc, vs, scheme.verifier), true);
    // claims a lower max than its QC
    assert.equal(verifyTimeoutCertificate({ ...tc, highQcRounds: [2, 1, 2] }, vs, scheme.verifier), false);
    // a reported round at or above the TC round
    assert.equal(verifyTimeoutCertificate(tcBy([1, 2, 3], 3, [3, 1, 2], qc), vs, scheme.verifier), false);
    assert.equal(verifyTimeoutCertificate(tcBy([1, 2], 5, [3, 1], qc), vs, scheme.verifier), false);
  });

  for (const backend of [nobleBackend(), loadNativeBackend()]) {
    it(`secp256k1 signer and verifier agree and reject the wrong key, high s and flipped parity (${backend?.name})`, () => {
      assert.ok(backend, 'the native secp256k1 binding loads on this machine');
      const secrets = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
      const verifier = secp256k1Verifier(
        secrets.map((s) => publicKeyOf(s, true)),
        backend,
      );
      const digest = voteDigest(vs, 1, blockId);
      const sig = secp256k1Signer(secrets[0]).sign(digest);
      assert.equal(sig.length, 65);
      assert.equal(verifier.verify(digest, sig, 0), true);
      assert.equal(verifier.verify(digest, sig, 1), false);
      assert.equal(verifier.verify(voteDigest(vs, 2, blockId), sig, 0), false);
      assert.equal(verifier.verify(digest, sig.subarray(0, 64), 0), false);
      const flipped = sig.slice();
      flipped[64] ^= 1;
      assert.equal(verifier.verify(digest, flipped, 0), false, 'the other yParity');
      const highS = sig.slice();
      highS.set(bigintToFixed(SECP256K1_N - bytesToBigint(sig.subarray(32, 64)), 32), 32);
      highS[64] ^= 1; // the high-s twin of a signature has the other parity
      assert.equal(verifier.verify(digest, highS, 0), false, 'the high-s twin');
    });
  }

  it('the HMAC test scheme rejects a tag made with another validator key', () => {
    const d = voteDigest(vs, 1, blockId);
    assert.equal(scheme.verifier.verify(d, scheme.signers[2].sign(d), 2), true);
    assert.equal(scheme.verifier.verify(d, scheme.signers[1].sign(d), 2), false);
    const other = hmacTestScheme(4, n);
    assert.equal(scheme.verifier.verify(d, other.signers[2].sign(d), 2), false);
  });
});

describe('leader choice', () => {
  const cfg = {
    enabled: true,
    windowBlocks: 10,
    lagRounds: 5,
    probationPeriodRounds: 50,
    staleAfterRounds: 10,
    stallGapRounds: 9,
  };
  /** Committed blocks of rounds 1..rounds, proposed and certified by `members` only. */
  const historyOf = (rounds: number, members: number[]) =>
    Array.from({ length: rounds }, (_, i) => ({
      round: i + 1,
      proposer: members[i % members.length],
      signers: members,
    }));

  it('is round-robin without reputation or history', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((r) => leaderForRound(r, 4, [], { ...cfg, enabled: false })),
      [0, 1, 2, 3, 0, 1],
    );
    assert.equal(leaderForRound(7, 4, [], cfg), 3);
  });

  it('skips a validator absent from the last window of committed blocks, except on probation rounds', () => {
    // validator 2 neither proposed nor signed in rounds 1..80
    const history = historyOf(80, [0, 1, 3]);
    const leaders = Array.from({ length: 40 }, (_, k) => leaderForRound(36 + k, 4, history, cfg));
    assert.equal(leaders.filter((l) => l === 2).length, 1, 'only on the probation round 50');
    assert.equal(leaderForRound(50, 4, history, cfg), 2);
    assert.ok(leaders.includes(0) && leaders.includes(1) && leaders.includes(3));
  });

  it('never excludes more than f validators', () => {
    const history = historyOf(40, [0, 1]);
    assert.equal(leaderForRound(42, 4, history, cfg), 42 % 4);
    assert.equal(leaderForRound(43, 4, history, cfg), 43 % 4);
  });

  it('falls back to round-robin once nothing was committed for staleAfterRounds rounds [L2]', () => {
    // Reputation learned {0, 2, 3}; then 2 crashed while 1 is up. Commits stop after round
    // 30: the learned schedule repeats 0, 2, 3 with 2 dead, never three live leaders in a
    // row, so it would never commit again. The fallback starts once the newest commit is
    // more than staleAfterRounds rounds old.
    const history = historyOf(30, [0, 2, 3]);
    const lastLearned = 30 + cfg.staleAfterRounds;
    const learned = Array.from({ length: 6 }, (_, k) => leaderForRound(lastLearned - 5 + k, 4, history, cfg));
    assert.ok(!learned.includes(1), `learned schedule ${learned}`);
    const after = Array.from({ length: 8 }, (_, k) => leaderForRound(lastLearned + 1 + k, 4, history, cfg));
    assert.deepEqual(
      after,
      after.map((_, k) => (lastLearned + 1 + k) % 4),
    );
    // with 2 dead, round-robin has three live leaders in a row (3, 0, 1)
    const live = after.map((l) => l !== 2);
    assert.ok(live.some((_, k) => live[k] && live[k + 1] && live[k + 2]));
  });

  /**
   * The blocks round-robin commits at n with the validators `dead` down, from round `from`
   * to `to`, in synchrony: a live leader proposes on the highest QC it knows; the QC of its
   * block forms at the next leader if that one is live; a QC on a block whose parent is of
   * the round before commits that parent and all below it (2-chain).
   */
  const roundRobinCommits = (n: number, dead: number[], from: number, to: number) => {
    const live = Array.from({ length: n }, (_, v) => v).filter((v) => !dead.includes(v));
    const parentOf = new Map<number, number>();
    const committed: Array<{ round: number; proposer: number; signers: number[] }> = [];
    let highQc = from - 1;
    let tip = from - 1;
    for (let r = from; r <= to; r++) {
      if (dead.includes(r % n)) continue;
      parentOf.set(r, highQc);
      if (dead.includes((r + 1) % n)) continue; // its QC would form at a dead leader
      highQc = r;
      const parent = parentOf.get(r)!;
      if (parent !== r - 1 || parent <= tip) continue;
      const run: number[] = [];
      for (let b = parent; b > tip; b = parentOf.get(b) ?? tip) run.unshift(b);
      for (const round of run) committed.push({ round, proposer: round % n, signers: live });
      tip = parent;
    }
    return committed;
  };

  it('stays round-robin after a stall until the window lies wholly after it [L3]', () => {
    // Reputation learned {0, 2, 3} (1 was slow); then 2 crashed. Nothing commits until the
    // fallback [L2] runs round-robin from round 41: 30 was the newest commit before the stall
    const stalled = historyOf(30, [0, 2, 3]);
    // the default lag: [L2] alone then keeps the old window for 20 rounds after the stall
    const c = { ...cfg, lagRounds: 20 };
    const after = roundRobinCommits(4, [2], 41, 140);
    /** What a node has committed when it enters `round` (a 2-chain commits a round later). */
    const historyAt = (round: number) => [...stalled, ...after.filter((c) => c.round < round - 2)];
    const firstAfter = after[0].round;
    // [L2] alone would bring back {0, 2, 3}, with the dead 2, right after that commit
    const noL3 = { ...c, stallGapRounds: Number.POSITIVE_INFINITY };
    const r0 = firstAfter + 3;
    assert.equal(leaderForRound(r0, 4, historyAt(r0), noL3), [0, 2, 3][r0 % 3]);
    // round-robin until the window H (the last 10 blocks at or below round - lag) holds
    // only blocks committed after the stall: its last block is the 10th of them
    const windowPastStall = after[c.windowBlocks - 1].round + c.lagRounds;
    for (let r = r0; r < windowPastStall; r++)
      assert.equal(leaderForRound(r, 4, historyAt(r), c), r % 4, `round ${r}`);
    // learned again, from round-robin's commits: 2 is left out but for its probation round
    const live = [0, 1, 3];
    for (let r = windowPastStall; r < 140; r++) {
      const expected = r % c.probationPeriodRounds === 0 ? 2 : live[r % 3];
      assert.equal(leaderForRound(r, 4, historyAt(r), c), expected, `round ${r}`);
    }
  });

  it('takes a gap between commits below stallGapRounds for no stall', () => {
    // {0, 2, 3} learned; then a slow patch: 29 was the newest commit until 36 (a gap of 7)
    const history = [...historyOf(30, [0, 2, 3]), ...historyOf(37, [0, 2, 3]).slice(35)];
    assert.deepEqual(
      history.slice(-4).map((e) => e.round),
      [29, 30, 36, 37],
    );
    for (let r = 39; r < 45; r++)
      assert.equal(leaderForRound(r, 4, history, cfg), [0, 2, 3][r % 3], `round ${r}`);
  });

  it('learns the dead leaders from round-robin, wherever they sit in the cycle, at the default settings', () => {
    // round-robin commits at least once a cycle: its own gaps are no stall, so reputation
    // learns who is down even when the dead leaders are spread out
    for (const [n, dead] of [
      [4, [2]],
      [7, [1, 4]],
      [7, [1, 2]],
      [10, [0, 5, 7]],
      [10, [1, 4, 7]],
      [31, [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]],
    ] as const) {
      const reputation = defaultReputation(n);
      const history = roundRobinCommits(n, [...dead], 1, 400);
      const newest = history.at(-1)!.round;
      const leaders = Array.from({ length: 6 }, (_, k) =>
        leaderForRound(newest + 1 + k, n, history, reputation),
      );
      const probation = (r: number) => r % reputation.probationPeriodRounds === 0;
      leaders.forEach((leader, k) => {
        if (!probation(newest + 1 + k))
          assert.ok(
            !dead.includes(leader as never),
            `n = ${n}, dead ${dead}: leader ${leader} of round ${newest + 1 + k}`,
          );
      });
    }
  });

  it('knows which blocks a validator had committed in a past round', () => {
    // 1-5 committed in a row; 7, 10 and 13 certified in a stall, committed with the 2-chain
    // (13, 14) that ended it, whose QC formed in round 15
    const history = [1, 2, 3, 4, 5, 7, 10, 13, 14].map((round) => ({ round, proposer: 0, signers: [0] }));
    const rounds = history.map((e) => e.round);
    const known = (round: number) => rounds.slice(0, committedInRound(history, round));
    assert.deepEqual(known(2), []);
    assert.deepEqual(known(3), [1]);
    assert.deepEqual(known(7), [1, 2, 3, 4]);
    // the child of 5 is of round 7, not 6: 5 waits, and is committed with the stall's blocks
    assert.deepEqual(known(12), [1, 2, 3, 4]);
    assert.deepEqual(known(15), [1, 2, 3, 4, 5, 7, 10, 13]);
    // the newest block had a child of the next round, whose QC committed it
    assert.deepEqual(known(16), rounds);
  });

  it('depends only on history at or below round - lag', () => {
    const history = historyOf(30, [0, 1, 3]);
    const extra = [...history, { round: 31, proposer: 2, signers: [0, 1, 2] }];
    assert.equal(leaderForRound(35, 4, history, cfg), leaderForRound(35, 4, extra, cfg));
  });
});
