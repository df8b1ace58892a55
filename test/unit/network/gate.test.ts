import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { encodeBlock, encodeHeader, hashHeader } from '../../../src/chain/codec.js';
import {
  encodeProposal,
  encodeTimeout,
  encodeVote,
  genesisQc,
  proposalDigest,
  secp256k1Signer,
  timeoutDigest,
  voteDigest,
} from '../../../src/consensus/index.js';
import { keccak256 } from '../../../src/crypto/hash.js';
import { generateSecretKey } from '../../../src/crypto/keys.js';
import { quorumSize } from '../../../src/genesis/quorum.js';
import { Gate } from '../../../src/network/gate.js';
import {
  encodeCompactProposal,
  encodeTxBatch,
  type GateContext,
  GateError,
  messageLimits,
  validateBlockResponse,
  validateCompactProposal,
  validateDirect,
  validateGossipTimeout,
  validateProposal,
  validateTimeout,
  validateTxBatch,
  validateVote,
} from '../../../src/network/index.js';
import { emptyMetrics } from '../../../src/network/network.js';
import { BoundedQueue } from '../../../src/network/queues.js';
import { timeoutSightings } from '../../../src/network/timeout-sightings.js';
import {
  cachingVerifier,
  certificateVerdicts,
  signatureCacheEntries,
} from '../../../src/network/verifier-cache.js';
import { DEFAULT_SYNC_OPTIONS } from '../../../src/sync/index.js';
import { systemClock } from '../../../src/time/index.js';
import { CHAIN_ID, fixture, proposal, timeout, transfers, verifierOf, vote } from './helpers.js';

const f = fixture(4);
const ctx = (round?: number): GateContext => ({
  validatorSet: f.validatorSet,
  verifier: verifierOf(f),
  addressIndex: new Map(
    f.validatorSet.validators.map((v, i) => [`0x${Buffer.from(v.address).toString('hex')}`, i]),
  ),
  limits: messageLimits(4, f.genesis.params.maxBlockBytes, f.genesis.params.maxBlockTxs, 16, 16 * 1024),
  currentRound: round === undefined ? undefined : () => round,
  maxPastRounds: 2,
  maxFutureRounds: 10,
});

function verdictOf(fn: () => unknown): string {
  try {
    fn();
    return 'accept';
  } catch (e) {
    assert.ok(e instanceof GateError, `expected a GateError, got ${e}`);
    return `${e.action}:${e.code}`;
  }
}

describe('gossip gate: validation functions', () => {
  it('accepts honest proposals, timeouts, votes and tx batches', () => {
    const p = proposal(f, 1);
    const accepted = validateProposal(ctx(1), encodeProposal(p));
    assert.equal(accepted.from, 1);
    assert.equal(validateTimeout(ctx(1), encodeTimeout(timeout(f, 2))).from, 2);
    assert.equal(validateVote(ctx(1), encodeVote(vote(f, 3, hashHeader(p.block.header))), 3).from, 3);
    const raws = transfers(3);
    const decoded = validateTxBatch(ctx(), encodeTxBatch(raws));
    // decoded once here, for admission: the same bytes and their keccak hashes
    assert.deepEqual(
      decoded.map((t) => [t.raw, t.hash]),
      raws.map((raw) => [raw, keccak256(raw)]),
    );
  });

  it('rejects garbage, forgeries and messages of another chain', () => {
    const c = ctx(1);
    assert.equal(
      verdictOf(() => validateProposal(c, new Uint8Array([1, 2, 3]))),
      'reject:MALFORMED',
    );
    // signed by someone else's key
    const forged = proposal(f, 0, { signerSecret: generateSecretKey() });
    assert.equal(
      verdictOf(() => validateProposal(c, encodeProposal(forged))),
      'reject:BAD_SIGNATURE',
    );
    // a tampered block: the signature no longer covers it
    const tampered = proposal(f, 0);
    tampered.block.header.timestampMs = 99;
    assert.equal(
      verdictOf(() => validateProposal(c, encodeProposal(tampered))),
      'reject:BAD_SIGNATURE',
    );
    // the same signed header with other transactions: anyone relaying it could swap them
    const swapped = proposal(f, 1, { transactions: transfers(2) });
    swapped.block.transactions = transfers(1);
    assert.equal(
      verdictOf(() => validateProposal(c, encodeProposal(swapped))),
      'reject:BAD_TX_ROOT',
    );
    assert.equal(
      verdictOf(() => validateBlockResponse(c, encodeBlock(swapped.block))),
      'reject:BAD_TX_ROOT',
    );
    const genuine = proposal(f, 1, { transactions: transfers(2) });
    assert.equal(
      verdictOf(() => validateProposal(c, encodeProposal(genuine))),
      'accept',
    );
    assert.equal(
      verdictOf(() => validateBlockResponse(c, encodeBlock(genuine.block))),
      'accept',
    );
    const other = proposal(f, 0);
    other.block.header.chainId = CHAIN_ID + 1n;
    assert.equal(
      verdictOf(() => validateProposal(c, encodeProposal(other))),
      'reject:WRONG_CHAIN',
    );
    const t = timeout(f, 1);
    t.signer = 9;
    assert.equal(
      verdictOf(() => validateTimeout(c, encodeTimeout(t))),
      'reject:UNKNOWN_SIGNER',
    );
    assert.equal(
      verdictOf(() => validateTxBatch(c, encodeTxBatch(transfers(1, CHAIN_ID + 1n)))),
      'reject:WRONG_CHAIN',
    );
    assert.equal(
      verdictOf(() => validateTxBatch(c, encodeTxBatch([new Uint8Array([2, 1])]))),
      'reject:MALFORMED',
    );
    assert.equal(
      verdictOf(() => validateTxBatch(c, encodeTxBatch([]))),
      'reject:BAD_BATCH',
    );
    assert.equal(
      verdictOf(() => validateTxBatch(c, encodeTxBatch(transfers(17)))),
      'reject:BAD_BATCH',
    );
    assert.equal(
      verdictOf(() => validateTxBatch(c, new Uint8Array(64 * 1024))),
      'reject:OVERSIZE',
    );
    assert.equal(
      verdictOf(() => validateTxBatch(c, RLP.encode(new Uint8Array([1])))),
      'reject:MALFORMED',
    );
  });

  it('rejects a QC that does not verify and an unjustified round', () => {
    const c = ctx(1);
    const p = proposal(f, 0);
    // a round-1 block whose QC claims round 0 for another block: not the genesis QC
    p.block.header.parentQc = new Uint8Array(RLP.encode([new Uint8Array(0), new Uint8Array(32).fill(1), []]));
    p.block.header.parentHash = new Uint8Array(32).fill(1);
    // signed by the real proposer: only the certificate is wrong
    p.signature = secp256k1Signer(f.secrets[0]).sign(
      proposalDigest(f.validatorSet, 1, hashHeader(p.block.header)),
    );
    assert.equal(
      verdictOf(() => validateProposal(c, encodeProposal(p))),
      'reject:BAD_CERTIFICATE',
    );
    // a round-2 proposal carrying QC(0) and no TC(1): round 2 is not justified
    const q = proposal(f, 0);
    q.block.header.round = 2;
    assert.equal(
      verdictOf(() => validateProposal(c, encodeProposal(q))),
      'reject:BAD_CERTIFICATE',
    );
    const t = timeout(f, 1);
    t.highQc = { ...genesisQc(f.validatorSet.genesisId), round: 1 };
    assert.equal(
      verdictOf(() => validateTimeout(c, encodeTimeout(t))),
      'reject:BAD_ROUND',
    );
  });

  it('ignores stale rounds; a vote must come from its signer', () => {
    assert.equal(
      verdictOf(() => validateTimeout(ctx(10), encodeTimeout(timeout(f, 1)))),
      'ignore:STALE_ROUND',
    );
    const v = vote(f, 3, new Uint8Array(32));
    assert.equal(
      verdictOf(() => validateVote(ctx(1), encodeVote(v), 2)),
      'reject:NOT_FROM_SIGNER',
    );
  });

  it('maps errors to verdicts in one place; unknown errors are ignored', () => {
    const metrics = emptyMetrics();
    const silent = { info() {}, warn() {}, debug() {} };
    const gate = new Gate(metrics, silent);
    assert.equal(gate.run('timeout', 'p', () => 1).verdict, 'accept');
    assert.equal(
      gate.run('timeout', 'p', () => validateTimeout(ctx(1), new Uint8Array([0xc0]))).verdict,
      'reject',
    );
    assert.equal(
      gate.run('timeout', 'p', () => {
        throw new TypeError('bug');
      }).verdict,
      'ignore',
    );
    assert.deepEqual(metrics.verdicts.timeout, { accepted: 1, ignored: 1, rejected: 1 });
    assert.equal(metrics.gateErrors.INTERNAL, 1);
    assert.equal(metrics.gateErrors.MALFORMED, 1);
  });
});

describe('network building blocks', () => {
  it('BoundedQueue drops the oldest past its count or byte bound', () => {
    const q = new BoundedQueue<Uint8Array>(3, 10, (b) => b.length);
    assert.deepEqual(q.push(new Uint8Array(4)), []);
    assert.deepEqual(q.push(new Uint8Array(4)), []);
    assert.equal(q.push(new Uint8Array(4)).length, 1); // 12 bytes > 10
    assert.equal(q.length, 2);
    assert.equal(q.push(new Uint8Array(11)).length, 1); // larger than the bound: refused itself
    q.push(new Uint8Array(1));
    assert.equal(q.push(new Uint8Array(1)).length, 1); // 4th item > 3
    assert.equal(q.length, 3);
  });

  it('cachingVerifier verifies a signature once and never caches failures', () => {
    let calls = 0;
    const inner = {
      verify: (_d: Uint8Array, s: Uint8Array) => {
        calls++;
        return s[0] === 1;
      },
    };
    const v = cachingVerifier(inner, 2);
    const d = new Uint8Array(32);
    assert.equal(v.verify(d, new Uint8Array([1]), 0), true);
    assert.equal(v.verify(d, new Uint8Array([1]), 0), true);
    assert.equal(calls, 1);
    assert.equal(v.verify(d, new Uint8Array([2]), 0), false);
    assert.equal(v.verify(d, new Uint8Array([2]), 0), false);
    assert.equal(calls, 3);
    assert.equal(v.verify(d, new Uint8Array([1]), 1), true); // other signer index: another entry
    assert.equal(calls, 4);
  });

  it("remembers block sync's largest run of certificates twice over, at any validator count", () => {
    const runBlocks = DEFAULT_SYNC_OPTIONS.maxInFlightRequests * DEFAULT_SYNC_OPTIONS.maxBlocksPerRequest;
    for (const n of [4, 7, 10, 31, 100, 300]) {
      const entries = signatureCacheEntries(n);
      assert.ok(entries >= 2 * runBlocks * quorumSize(n), `n = ${n}: ${entries} entries`);
      // a round's signatures (a proposal, n votes, n timeouts) many times over
      assert.ok(entries >= 16 * (2 * n + 1), `n = ${n}: ${entries} entries`);
    }
    assert.equal(signatureCacheEntries(4), 4096);
  });
});

describe('redial backoff', () => {
  it('doubles from the minimum up to the maximum, with jitter in [0.5, 1)', async () => {
    const { Redialer } = await import('../../../src/network/redial.js');
    const silent = { info() {}, warn() {}, debug() {} };
    const fake = {} as ConstructorParameters<typeof Redialer>[1]['libp2p'];
    const high = new Redialer(
      { minDelayMs: 100, maxDelayMs: 1000 },
      { libp2p: fake, metrics: emptyMetrics(), logger: silent, clock: systemClock, random: () => 0.999999 },
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5, 20].map((k) => high.delayMs(k)),
      [100, 200, 400, 800, 1000, 1000],
    );
    const low = new Redialer(
      { minDelayMs: 100, maxDelayMs: 1000 },
      { libp2p: fake, metrics: emptyMetrics(), logger: silent, clock: systemClock, random: () => 0 },
    );
    assert.deepEqual(
      [1, 2, 5].map((k) => low.delayMs(k)),
      [50, 100, 500],
    );
  });
});

describe('gate: gossiped proposals (transactions by hash)', () => {
  const c = ctx(1);
  const txs = [Uint8Array.of(2, 1), Uint8Array.of(2, 2)];

  it('accepts a compact proposal and returns its header and hashes', () => {
    const p = proposal(f, 1, { transactions: txs });
    const accepted = validateCompactProposal(c, encodeCompactProposal(p, txs.map(keccak256)));
    assert.equal(accepted.from, 1);
    assert.deepEqual(accepted.message.header, p.block.header);
    assert.deepEqual(accepted.message.hashes, txs.map(keccak256));
  });

  it('rejects a forged signature, a full encoding and malformed hash lists', () => {
    const forged = proposal(f, 1, { signerSecret: f.secrets[2] });
    assert.equal(
      verdictOf(() => validateCompactProposal(c, encodeCompactProposal(forged, []))),
      'reject:BAD_SIGNATURE',
    );
    const p = proposal(f, 1);
    assert.equal(
      verdictOf(() => validateCompactProposal(c, encodeProposal(p))),
      'reject:MALFORMED',
    );
    const short = RLP.encode([
      encodeHeader(p.block.header),
      [new Uint8Array(31)],
      p.signature,
      new Uint8Array(0),
    ]);
    assert.equal(
      verdictOf(() => validateCompactProposal(c, short)),
      'reject:MALFORMED',
    );
  });
});

describe('gate: Byzantine validators with genuine keys (issue 10)', () => {
  const resign = (p: ReturnType<typeof proposal>, signer: number) => {
    p.signature = secp256k1Signer(f.secrets[signer]).sign(
      proposalDigest(f.validatorSet, p.block.header.round, hashHeader(p.block.header)),
    );
    return p;
  };

  it('ignores a proposal whose signer does not lead its round (item 7)', () => {
    const p = proposal(f, 1);
    const leadBy = (leader: number | undefined): GateContext => ({ ...ctx(1), leaderOf: () => leader });
    assert.equal(
      verdictOf(() => validateCompactProposal(leadBy(2), encodeCompactProposal(p, []))),
      'ignore:NOT_LEADER',
    );
    assert.equal(
      verdictOf(() => validateCompactProposal(leadBy(1), encodeCompactProposal(p, []))),
      'accept',
    );
    // no running consensus, no opinion on the leader
    assert.equal(
      verdictOf(() => validateCompactProposal(leadBy(undefined), encodeCompactProposal(p, []))),
      'accept',
    );
  });

  it('bounds a proposal height by the committed height and round (item 1)', () => {
    const at = (height: number, round: number): GateContext => ({
      ...ctx(1),
      committed: () => ({ height, round }),
    });
    const p = proposal(f, 1);
    assert.equal(
      verdictOf(() => validateProposal(at(0, 0), encodeProposal(p))),
      'accept',
    );
    // a validly signed proposal with a genuine parent QC and height 2^40
    const tall = proposal(f, 1);
    tall.block.header.height = 2 ** 40;
    resign(tall, 1);
    assert.equal(
      verdictOf(() => validateCompactProposal(at(0, 0), encodeCompactProposal(tall, []))),
      'ignore:BAD_HEIGHT',
    );
    const zero = proposal(f, 1);
    zero.block.header.height = 0;
    resign(zero, 1);
    assert.equal(
      verdictOf(() => validateCompactProposal(at(0, 0), encodeCompactProposal(zero, []))),
      'reject:BAD_HEIGHT',
    );
    // a round already committed can never be committed again
    assert.equal(
      verdictOf(() => validateCompactProposal(at(1, 1), encodeCompactProposal(p, []))),
      'ignore:STALE_ROUND',
    );
  });

  /** A genuine QC of validators 0..2 for a made-up block of `round`. */
  const qcOf = (round: number) => {
    const blockId = new Uint8Array(32).fill(round);
    const signers = [0, 1, 2];
    return {
      round,
      blockId,
      signers,
      signatures: signers.map((s) =>
        secp256k1Signer(f.secrets[s]).sign(voteDigest(f.validatorSet, round, blockId)),
      ),
    };
  };
  const tcOf = (round: number) => {
    const signers = [0, 1, 2];
    return {
      round,
      highQc: genesisQc(f.validatorSet.genesisId),
      signers,
      highQcRounds: [0, 0, 0],
      signatures: signers.map((s) =>
        secp256k1Signer(f.secrets[s]).sign(timeoutDigest(f.validatorSet, round, 0)),
      ),
    };
  };

  it('verifies piggybacked certificates only when they raise the local ones, once per digest (item 5)', () => {
    let calls = 0;
    const inner = verifierOf(f);
    const counting = {
      verify: (d: Uint8Array, s: Uint8Array, i: number) => {
        calls++;
        return inner.verify(d, s, i);
      },
    };
    const c: GateContext = {
      ...ctx(30),
      verifier: counting,
      highestCertified: () => ({ qcRound: 20, tcRound: 20 }),
      certificates: certificateVerdicts(64),
    };
    const blockId = new Uint8Array(32).fill(9);
    const signed = {
      round: 30,
      blockId,
      signer: 3,
      signature: secp256k1Signer(f.secrets[3]).sign(voteDigest(f.validatorSet, 30, blockId)),
    };
    // one signed vote re-sent with ten genuine old QCs and TCs
    for (let r = 1; r <= 10; r++) {
      const v = { ...signed, sync: { highQc: qcOf(r), highTc: tcOf(r + 1) } };
      assert.equal(
        verdictOf(() => validateVote(c, encodeVote(v), 3)),
        'accept',
      );
    }
    assert.equal(calls, 10, 'the vote signature only, each time (no signature cache here)');
    // a QC that raises the local one is verified, and only once across re-sends
    calls = 0;
    const raising = { ...signed, sync: { highQc: qcOf(25) } };
    for (let k = 0; k < 5; k++)
      assert.equal(
        verdictOf(() => validateVote(c, encodeVote(raising), 3)),
        'accept',
      );
    assert.equal(calls, 5 + 3);
    // a timeout's old high TC is not verified either; a forged raising one is rejected
    calls = 0;
    const t = timeout(f, 3, 30);
    for (let r = 1; r <= 5; r++)
      assert.equal(
        verdictOf(() => validateTimeout(c, encodeTimeout({ ...t, highTc: tcOf(r) }))),
        'accept',
      );
    assert.equal(calls, 5);
    // ...so such a timeout is used but marked not to be forwarded: a peer whose TC it raises
    // would verify it, and blame the forwarder if it were forged; a TC verified before is known
    const oldForged = tcOf(5);
    oldForged.signatures[2] = oldForged.signatures[0];
    const notForwarded = validateTimeout(c, encodeTimeout({ ...t, highTc: oldForged }));
    assert.equal(notForwarded.localOnly, true);
    assert.equal(validateTimeout(c, encodeTimeout({ ...t, highTc: tcOf(5) })).localOnly, true);
    assert.equal(validateTimeout(c, encodeTimeout({ ...t, highTc: tcOf(22) })).localOnly, undefined);
    const known: GateContext = { ...c, highestCertified: () => ({ qcRound: 20, tcRound: 30 }) };
    assert.equal(validateTimeout(known, encodeTimeout({ ...t, highTc: tcOf(22) })).localOnly, undefined);
    assert.equal(validateTimeout(known, encodeTimeout({ ...t, highTc: tcOf(23) })).localOnly, true);
    assert.equal(validateTimeout(c, encodeTimeout({ ...t, highTc: undefined })).localOnly, undefined);
    const forged = tcOf(25);
    forged.signatures[2] = forged.signatures[0];
    assert.equal(
      verdictOf(() => validateTimeout(c, encodeTimeout({ ...t, highTc: forged }))),
      'reject:BAD_CERTIFICATE',
    );
  });

  it('accepts three signed timeouts per signer and round and ignores more unverified; re-wraps are used, not forwarded, and take no place', () => {
    let calls = 0;
    const inner = verifierOf(f);
    const c: GateContext = {
      ...ctx(30),
      verifier: {
        verify: (d: Uint8Array, sig: Uint8Array, i: number) => {
          calls++;
          return inner.verify(d, sig, i);
        },
      },
      highestCertified: () => ({ qcRound: 20, tcRound: 20 }),
      certificates: certificateVerdicts(64),
      timeouts: timeoutSightings(16),
    };
    /** Validator `signer`'s timeout for round 30 over a high QC of round `qcRound` (0: genesis). */
    const signedOver = (signer: number, qcRound: number) => ({
      round: 30,
      highQc: qcRound === 0 ? genesisQc(f.validatorSet.genesisId) : qcOf(qcRound),
      signer,
      signature: secp256k1Signer(f.secrets[signer]).sign(timeoutDigest(f.validatorSet, 30, qcRound)),
    });
    const check = (t: Parameters<typeof encodeTimeout>[0]) =>
      verdictOf(() => validateTimeout(c, encodeTimeout(t)));
    const forwarded = (t: Parameters<typeof encodeTimeout>[0]) =>
      validateTimeout(c, encodeTimeout(t)).localOnly === undefined;

    // a key signing a timeout per genuine QC below its round: three are taken, each forwarded
    for (const q of [1, 2, 3]) assert.equal(forwarded(signedOver(3, q)), true);
    assert.equal(forwarded(signedOver(3, 1)), true, 'the same bytes again');
    calls = 0;
    for (const q of [4, 5, 6]) assert.equal(check(signedOver(3, q)), 'ignore:TIMEOUT_FLOOD');
    assert.equal(calls, 0, 'a flood beyond the allowance is dropped before any signature check');
    // the signer's next round has its own allowance
    assert.equal(check(timeout(f, 3, 31)), 'accept');

    // someone re-wraps validator 1's genuine timeout with genuine old TCs (outside its signature)
    const genuine = signedOver(1, 0);
    assert.equal(forwarded({ ...genuine, highTc: tcOf(1) }), false, 'an unknown old TC: used, not forwarded');
    assert.equal(forwarded({ ...genuine, highTc: tcOf(2) }), false);
    // ...and with another genuine QC of the same round (another signer set): a known certificate,
    // but another encoding of what validator 1 signed, so it is used and not forwarded
    const otherSigners = { ...genuine, highQc: qcOf(1), signature: signedOver(1, 1).signature };
    assert.equal(forwarded(otherSigners), true, 'the first encoding of that content');
    const reSigned = qcOf(1);
    reSigned.signers = [1, 2, 3];
    reSigned.signatures = reSigned.signers.map((i) =>
      secp256k1Signer(f.secrets[i]).sign(voteDigest(f.validatorSet, 1, reSigned.blockId)),
    );
    assert.equal(forwarded({ ...otherSigners, highQc: reSigned }), false);
    // validator 1's own bytes still get through, and are used, however many re-wraps came first
    assert.equal(check(genuine), 'accept');
    assert.equal(check(genuine), 'accept', 'its repeat');

    // a timeout whose signature fails takes no place: the signer's three still get through
    for (const q of [4, 5, 6])
      assert.equal(
        check({ ...signedOver(2, q), signature: signedOver(3, q).signature }),
        'reject:BAD_SIGNATURE',
      );
    for (const q of [1, 2, 3]) assert.equal(check(signedOver(2, q)), 'accept');
    assert.equal(check(signedOver(2, 4)), 'ignore:TIMEOUT_FLOOD');

    // a round below every round the sightings hold is not tracked: ignored as stale
    const one: GateContext = { ...c, timeouts: timeoutSightings(1) };
    assert.equal(
      verdictOf(() => validateTimeout(one, encodeTimeout(timeout(f, 0, 31)))),
      'accept',
    );
    assert.equal(
      verdictOf(() => validateTimeout(one, encodeTimeout(timeout(f, 0, 30)))),
      'ignore:STALE_ROUND',
    );
  });

  it('counts a timeout received directly and its gossiped copy as one sighting, from any relaying validator', () => {
    const c: GateContext = {
      ...ctx(30),
      highestCertified: () => ({ qcRound: 20, tcRound: 20 }),
      certificates: certificateVerdicts(64),
      timeouts: timeoutSightings(16),
    };
    const signedOver = (qcRound: number) =>
      encodeTimeout({
        round: 30,
        highQc: qcOf(qcRound),
        signer: 2,
        signature: secp256k1Signer(f.secrets[2]).sign(timeoutDigest(f.validatorSet, 30, qcRound)),
      });
    const bytes = signedOver(21);
    // its signer sends it directly (to the next leader), then its gossiped copy arrives
    assert.equal(validateDirect(c, 'timeout', bytes, 2).from, 2);
    assert.equal(validateGossipTimeout(c, bytes).localOnly, undefined, 'the gossiped copy is forwarded');
    // another validator relays the same bytes directly: still the signer's, and the same sighting
    assert.equal(validateDirect(c, 'timeout', bytes, 1).from, 2);
    assert.equal(validateGossipTimeout(c, bytes).localOnly, undefined);
    // so the signer keeps its two other places, whichever path they come by
    assert.equal(validateDirect(c, 'timeout', signedOver(22), 2).from, 2);
    assert.equal(validateGossipTimeout(c, signedOver(23)).localOnly, undefined);
    assert.equal(
      verdictOf(() => validateDirect(c, 'timeout', signedOver(24), 2)),
      'ignore:TIMEOUT_FLOOD',
    );
    assert.equal(
      verdictOf(() => validateGossipTimeout(c, signedOver(24))),
      'ignore:TIMEOUT_FLOOD',
    );
  });

  it('keeps a sighting recorded while consensus was stopped: after the rejoin the same bytes are forwarded, a re-wrap is not', () => {
    // during block sync the gate's round is the sync tip's, far below the network's
    let round = 3;
    const c: GateContext = {
      ...ctx(),
      currentRound: () => round,
      highestCertified: () => ({ qcRound: 2, tcRound: 0 }),
      certificates: certificateVerdicts(64),
      timeouts: timeoutSightings(16),
    };
    const t = {
      round: 30,
      highQc: qcOf(29),
      signer: 1,
      signature: secp256k1Signer(f.secrets[1]).sign(timeoutDigest(f.validatorSet, 30, 29)),
    };
    // far above the window, but its certificate justifies it: taken, and a sighting kept
    assert.equal(validateGossipTimeout(c, encodeTimeout(t)).localOnly, undefined);
    assert.equal(c.timeouts?.rounds, 1);
    // synced: consensus runs again at the network's round
    round = 30;
    assert.equal(validateGossipTimeout(c, encodeTimeout(t)).localOnly, undefined, 'the repeat is forwarded');
    assert.equal(
      validateGossipTimeout(c, encodeTimeout({ ...t, highTc: tcOf(1) })).localOnly,
      true,
      'a re-wrap is used, not forwarded',
    );
    assert.equal(c.timeouts?.rounds, 1, 'the same round, not a second record');
  });
});
