/** Fuzzed consensus message decoders (src/consensus/codec.ts), direct and stored forms. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import type fc from 'fast-check';
import {
  ConsensusError,
  decodeProposal,
  decodeQc,
  decodeSafetyData,
  decodeTc,
  decodeTimeout,
  decodeVote,
  encodeProposal,
  encodeQc,
  encodeSafetyData,
  encodeTc,
  encodeTimeout,
  encodeVote,
} from '../../../src/consensus/index.js';
import { proposalArb, qcArb, safetyDataArb, tcArb, timeoutArb, voteArb } from './arbitraries.js';
import { assertDecoderProperty, checkBinaryDecoder, mutationsOf, nestedLists } from './fuzz.js';

function fuzz<T>(
  valid: fc.Arbitrary<T>,
  encode: (v: T) => Uint8Array,
  decode: (b: Uint8Array) => T,
  runs: number,
) {
  assertDecoderProperty(
    mutationsOf(valid.map(encode)),
    (input) => checkBinaryDecoder(input, decode, encode, ConsensusError),
    runs,
  );
}

describe('fuzzed consensus codec', () => {
  it('QC: decodes to a value that re-encodes to its bytes, or throws a ConsensusError', () => {
    fuzz(qcArb, encodeQc, decodeQc, 800);
  });

  it('TC: decodes to a value that re-encodes to its bytes, or throws a ConsensusError', () => {
    fuzz(tcArb, encodeTc, decodeTc, 800);
  });

  it('vote: decodes to a value that re-encodes to its bytes, or throws a ConsensusError', () => {
    fuzz(voteArb, encodeVote, decodeVote, 800);
  });

  it('timeout: decodes to a value that re-encodes to its bytes, or throws a ConsensusError', () => {
    fuzz(timeoutArb, encodeTimeout, decodeTimeout, 800);
  });

  it('proposal: decodes to a value that re-encodes to its bytes, or throws a ConsensusError', () => {
    fuzz(proposalArb, encodeProposal, decodeProposal, 800);
  });

  it('safety data: decodes to a value that re-encodes to its bytes, or throws a ConsensusError', () => {
    fuzz(safetyDataArb, encodeSafetyData, decodeSafetyData, 500);
  });

  it('a block that does not decode inside a proposal is a ConsensusError (regression: a ChainError leaked)', () => {
    // fuzz counterexample (FUZZ_SEED=1515), shrunk by hand: block bytes that announce a
    // list longer than they are, inside a well-formed proposal and safety record
    const badBlock = Uint8Array.of(0xf9, 0x01, 0x00, 0x01);
    const empty = new Uint8Array(0);
    const proposal = RLP.encode([badBlock, Uint8Array.of(1), empty]);
    const safety = RLP.encode([empty, empty, [empty, new Uint8Array(32), []], empty, [badBlock]]);
    for (const decode of [() => decodeProposal(proposal), () => decodeSafetyData(safety)])
      assert.throws(decode, (e: unknown) => {
        assert.ok(e instanceof ConsensusError, `got ${(e as Error).constructor.name}`);
        assert.equal(e.code, 'MALFORMED_MESSAGE');
        assert.match(e.message, /^block: /);
        return true;
      });
  });

  it('refuses deeply nested lists without decoding them (regression: quadratic time, then a stack overflow)', () => {
    const nested = nestedLists(64 * 1024);
    for (const decode of [decodeQc, decodeTc, decodeVote, decodeTimeout, decodeProposal, decodeSafetyData])
      assert.throws(() => decode(nested), { code: 'MALFORMED_MESSAGE' });
  });
});
