/**
 * Fuzzed network decoders (src/network/encoding.ts): gossip transaction batches, compact
 * proposals, and the length-prefixed frames of the direct and sync streams; and the gate
 * (src/network/gate.ts) that every consensus message from a peer passes, over signed
 * messages: a mutated message is refused with a GateError or carries only signatures a
 * validator made.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EMPTY_MERKLE_ROOT, hashHeader } from '../../../src/chain/index.js';
import {
  encodeProposal,
  encodeQc,
  encodeTimeout,
  encodeVote,
  type Proposal,
  proposalDigest,
  type QuorumCertificate,
  secp256k1Signer,
  secp256k1Verifier,
  type TimeoutCertificate,
  timeoutDigest,
  type ValidatorSet,
  voteDigest,
} from '../../../src/consensus/index.js';
import { addressOf, publicKeyOf } from '../../../src/crypto/keys.js';
import {
  type CompactProposal,
  decodeCompactProposal,
  decodeTxBatch,
  encodeCompactProposal,
  encodeTxBatch,
  FrameReader,
  frame,
} from '../../../src/network/encoding.js';
import {
  type GateContext,
  GateError,
  messageLimits,
  validateCompactProposal,
  validateProposal,
  validateTimeout,
  validateVote,
} from '../../../src/network/index.js';
import { bytes32, headerArb, tcArb } from './arbitraries.js';
import {
  assertDecoderProperty,
  assertTypedError,
  checkBinaryDecoder,
  fuzzParameters,
  mutationsOf,
  nestedLists,
  wideList,
} from './fuzz.js';

const batchArb = fc.array(fc.uint8Array({ maxLength: 160 }), { maxLength: 8 }).map(encodeTxBatch);

const compactArb = fc
  .record({
    header: headerArb,
    hashes: fc.array(bytes32, { maxLength: 6 }),
    signature: fc.uint8Array({ minLength: 1, maxLength: 96 }),
    tc: fc.option(tcArb, { nil: undefined }),
  })
  .map(encodeCompact);

function encodeCompact(p: CompactProposal): Uint8Array {
  const proposal = { block: { header: p.header, transactions: [] }, signature: p.signature, tc: p.tc };
  return encodeCompactProposal(proposal, p.hashes);
}

describe('fuzzed network codecs', () => {
  it('a transaction batch decodes to transactions that re-encode to its bytes, or throws a GateError', () => {
    assertDecoderProperty(
      mutationsOf(batchArb),
      (input) => checkBinaryDecoder(input, (b) => decodeTxBatch(b), encodeTxBatch, GateError),
      1500,
    );
  });

  it('a compact proposal decodes to a value that re-encodes to its bytes, or throws a GateError', () => {
    assertDecoderProperty(
      mutationsOf(compactArb),
      (input) => checkBinaryDecoder(input, (b) => decodeCompactProposal(b), encodeCompact, GateError),
      1000,
    );
  });

  it('refuses nested lists and more items than allowed before decoding them', () => {
    const nested = nestedLists(64 * 1024);
    assert.throws(() => decodeTxBatch(nested), { code: 'MALFORMED' });
    assert.throws(() => decodeCompactProposal(nested), { code: 'MALFORMED' });
    assert.throws(() => decodeTxBatch(wideList(17), 16), { code: 'BAD_BATCH' });
    assert.equal(decodeTxBatch(wideList(16), 16).length, 16);
    assert.throws(() => decodeCompactProposal(wideList(50), 10), { code: 'OVERSIZE' });
  });

  it('a frame reader returns the frames of any split of a stream, or throws a GateError', () => {
    const maxFrameBytes = 300;
    const payloads = fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 5 });
    const cuts = fc.array(fc.nat({ max: 3000 }), { maxLength: 8 });
    const stream = fc.oneof(
      payloads.map((ps) => ({ ps, bytes: concat(ps.map(frame)) })),
      fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ ps: undefined, bytes })),
    );
    const seen = { whole: 0, refused: 0 };
    fc.assert(
      fc.property(stream, cuts, ({ ps, bytes }, at) => {
        const reader = new FrameReader(maxFrameBytes);
        const frames: Uint8Array[] = [];
        const bounds = [0, ...at.map((a) => a % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
        try {
          for (let i = 1; i < bounds.length; i++)
            frames.push(...reader.push(bytes.subarray(bounds[i - 1], bounds[i])));
        } catch (err) {
          assertTypedError(err, GateError);
          assert.equal((err as GateError).code, 'OVERSIZE');
          seen.refused++;
          return;
        }
        // whatever was returned is exactly the stream's frames, in order
        assert.deepEqual(concat(frames.map(frame)), bytes.subarray(0, concat(frames.map(frame)).length));
        if (ps !== undefined) {
          assert.deepEqual(frames, ps);
          assert.equal(reader.partial, false);
          seen.whole++;
        }
      }),
      fuzzParameters(1000),
    );
    assert.ok(seen.whole > 0 && seen.refused > 0, 'both outcomes must occur');
  });

  it('a 10-byte input that claims a 4 GB frame costs no more than the bytes that arrived', () => {
    // no bound below the claim: the readers must still not allocate for it
    const claim = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6);
    const before = process.memoryUsage().arrayBuffers;
    const readers = Array.from({ length: 16 }, () => new FrameReader(0xffffffff));
    for (const reader of readers) {
      assert.deepEqual(reader.push(claim), []);
      assert.equal(reader.partial, true);
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    // each reader holds one first chunk of at most 64 KB, not 4 GB
    assert.ok(grown < readers.length * 128 * 1024, `16 readers allocated ${grown} bytes`);
    // and with the node's bound, the claim is refused outright
    assert.throws(() => new FrameReader(1024 * 1024).push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1)), {
      code: 'OVERSIZE',
    });
  });
});

/** Four validators with fixed keys, and signed messages of round 6 that carry QC(4) and TC(5). */
function signedMessages() {
  const secrets = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));
  const validatorSet: ValidatorSet = {
    chainId: 4242n,
    genesisId: new Uint8Array(32).fill(9),
    validators: secrets.map((s) => ({ address: addressOf(s), publicKey: publicKeyOf(s, true) })),
  };
  const signers = secrets.map((s) => secp256k1Signer(s));
  const all = [0, 1, 2, 3];
  const blockA = new Uint8Array(32).fill(0xa);
  // every validator signs each certificate: one signer fewer is still a quorum, and valid
  const qc: QuorumCertificate = {
    round: 4,
    blockId: blockA,
    signers: all,
    signatures: all.map((i) => signers[i].sign(voteDigest(validatorSet, 4, blockA))),
  };
  const tc: TimeoutCertificate = {
    round: 5,
    highQc: qc,
    signers: all,
    highQcRounds: all.map(() => 4),
    signatures: all.map((i) => signers[i].sign(timeoutDigest(validatorSet, 5, 4))),
  };
  const blockB = new Uint8Array(32).fill(0xb);
  const voteSignature = signers[1].sign(voteDigest(validatorSet, 6, blockB));
  const vote = encodeVote({
    round: 6,
    blockId: blockB,
    signer: 1,
    signature: voteSignature,
    sync: { highQc: qc, highTc: tc },
  });
  const timeoutSignature = signers[2].sign(timeoutDigest(validatorSet, 6, 4));
  const timeout = encodeTimeout({ round: 6, highQc: qc, highTc: tc, signer: 2, signature: timeoutSignature });
  const header = {
    chainId: 4242n,
    height: 3,
    round: 6,
    parentHash: blockA,
    proposer: validatorSet.validators[0].address,
    timestampMs: 1000,
    txRoot: EMPTY_MERKLE_ROOT,
    stateRoot: new Uint8Array(32),
    receiptsRoot: new Uint8Array(32),
    parentQc: encodeQc(qc),
  };
  const proposal: Proposal = {
    block: { header, transactions: [] },
    signature: signers[0].sign(proposalDigest(validatorSet, 6, hashHeader(header))),
    tc,
  };
  const made = [...qc.signatures, ...tc.signatures, proposal.signature, voteSignature, timeoutSignature];
  const ctx: GateContext = {
    validatorSet,
    verifier: secp256k1Verifier(validatorSet.validators.map((v) => v.publicKey)),
    addressIndex: new Map(
      validatorSet.validators.map((v, i) => [`0x${Buffer.from(v.address).toString('hex')}`, i]),
    ),
    limits: messageLimits(4, 1 << 20, 100, 16, 16 * 1024),
    currentRound: () => 6,
    maxPastRounds: 2,
    maxFutureRounds: 10,
  };
  return {
    ctx,
    made: new Set(made.map((sig) => Buffer.from(sig).toString('hex'))),
    vote,
    timeout,
    proposal: encodeProposal(proposal),
    compact: encodeCompactProposal(proposal, []),
  };
}

/** Every signature a decoded message carries (its own and its certificates'). */
function signaturesOf(value: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return out;
  const v = value as Record<string, unknown>;
  if (v.signature instanceof Uint8Array) out.push(v.signature);
  if (Array.isArray(v.signatures)) out.push(...(v.signatures as Uint8Array[]));
  for (const [key, child] of Object.entries(v)) if (key !== 'signatures') signaturesOf(child, out);
  return out;
}

describe('fuzzed gossip gate over signed messages', () => {
  const m = signedMessages();
  const kinds = [
    ['vote', m.vote, (b: Uint8Array) => validateVote(m.ctx, b, 1)],
    ['timeout', m.timeout, (b: Uint8Array) => validateTimeout(m.ctx, b)],
    ['proposal', m.proposal, (b: Uint8Array) => validateProposal(m.ctx, b)],
    ['compact proposal', m.compact, (b: Uint8Array) => validateCompactProposal(m.ctx, b)],
  ] as const;
  for (const [kind, genuine, validate] of kinds)
    it(`a mutated ${kind} is refused with a GateError, or carries only signatures a validator made`, () => {
      const seen = { accepted: 0, refused: 0 };
      fc.assert(
        fc.property(mutationsOf(fc.constant(genuine), 64), (input) => {
          let accepted: ReturnType<typeof validate>;
          try {
            accepted = validate(input);
          } catch (err) {
            assertTypedError(err, GateError);
            seen.refused++;
            return;
          }
          seen.accepted++;
          // a certificate the gate did not verify is marked, never forwarded (gate.ts [forward])
          if ((accepted as { localOnly?: true }).localOnly) return;
          for (const sig of signaturesOf(accepted.message))
            assert.ok(
              m.made.has(Buffer.from(sig).toString('hex')),
              `${kind} accepted a signature no validator made`,
            );
        }),
        fuzzParameters(250),
      );
      assert.ok(seen.accepted > 0 && seen.refused > 0, JSON.stringify(seen));
    });
});

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
