/** Arbitraries of valid values for the decoder fuzz suite (each encodes to its one encoding). */
import fc from 'fast-check';
import type { Block, BlockHeader } from '../../../src/chain/types.js';
import type {
  Proposal,
  QuorumCertificate,
  SafetyData,
  TimeoutCertificate,
  TimeoutMessage,
  Vote,
} from '../../../src/consensus/index.js';

export const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const safeNat = fc.oneof(
  fc.nat({ max: 1000 }),
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
/** Consensus integers are at most 6 bytes. */
const round = fc.oneof(fc.nat({ max: 300 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }));

export const headerArb: fc.Arbitrary<BlockHeader> = fc.record({
  chainId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  height: safeNat,
  round: safeNat,
  parentHash: bytes32,
  proposer: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  timestampMs: safeNat,
  txRoot: bytes32,
  stateRoot: bytes32,
  receiptsRoot: bytes32,
  parentQc: fc.uint8Array({ maxLength: 120 }),
});

/** Transaction bytes around the RLP boundaries (one byte < 0x80, 55/56 bytes). */
const txBytes = fc.oneof(
  fc.uint8Array({ maxLength: 2 }),
  fc.uint8Array({ minLength: 54, maxLength: 57 }),
  fc.uint8Array({ minLength: 100, maxLength: 160 }),
);

export const blockArb: fc.Arbitrary<Block> = fc.record({
  header: headerArb,
  transactions: fc.array(txBytes, { maxLength: 6 }),
});

const signature = fc.uint8Array({ minLength: 1, maxLength: 96 });

/** Strictly increasing signer indexes. */
const signers = (max: number) =>
  fc.uniqueArray(fc.nat({ max: 300 }), { maxLength: max }).map((s) => s.sort((a, b) => a - b));

export const qcArb: fc.Arbitrary<QuorumCertificate> = fc
  .tuple(round, bytes32, signers(5))
  .chain(([r, blockId, s]) =>
    fc
      .array(signature, { minLength: s.length, maxLength: s.length })
      .map((signatures) => ({ round: r, blockId, signers: s, signatures })),
  );

export const tcArb: fc.Arbitrary<TimeoutCertificate> = fc
  .tuple(round, qcArb, signers(5))
  .chain(([r, highQc, s]) =>
    fc
      .tuple(
        fc.array(round, { minLength: s.length, maxLength: s.length }),
        fc.array(signature, { minLength: s.length, maxLength: s.length }),
      )
      .map(([highQcRounds, signatures]) => ({ round: r, highQc, signers: s, highQcRounds, signatures })),
  );

/** An optional field: absent rather than present as undefined, as the decoders build it. */
function withOptional<T extends object, K extends string, V>(
  base: fc.Arbitrary<T>,
  key: K,
  value: fc.Arbitrary<V>,
): fc.Arbitrary<T & { [P in K]?: V }> {
  return fc.tuple(base, fc.option(value, { nil: undefined })).map(([b, v]) => ({ ...b, [key]: v }));
}

export const voteArb: fc.Arbitrary<Vote> = fc.record({
  round,
  blockId: bytes32,
  signer: round,
  signature,
  sync: withOptional(fc.record({ highQc: qcArb }), 'highTc', tcArb),
});

export const timeoutArb: fc.Arbitrary<TimeoutMessage> = withOptional(
  fc.record({ round, highQc: qcArb, signer: round, signature }),
  'highTc',
  tcArb,
);

export const proposalArb: fc.Arbitrary<Proposal> = withOptional(
  fc.record({ block: blockArb, signature }),
  'tc',
  tcArb,
);

export const safetyDataArb: fc.Arbitrary<SafetyData> = withOptional(
  fc.record({
    lastVotedRound: round,
    highestTimeoutRound: round,
    highQc: qcArb,
    blocks: fc.array(blockArb, { maxLength: 2 }),
  }),
  'highTc',
  tcArb,
);
