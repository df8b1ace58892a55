/**
 * Fuzzed client decoders and text parsers: the client's proof JSON (src/client/json.ts,
 * what a wallet reads from any node), the QC bytes a client decodes and checks
 * (src/client/certificate.ts) and the peers file of `ledger node --peers`
 * (src/cli/peers-file.ts). Each mutated input either parses to a value whose own form parses
 * back to the same value, or throws its typed error (ClientError, PeersFileError).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { merkleProof, proveAccount, receiptProof } from '../../../src/chain/index.js';
import { PeersFileError, parsePeersFile } from '../../../src/cli/peers-file.js';
import {
  accountProofToJson,
  ClientError,
  decodeCertificate,
  parseAccountProof,
  parseTxProof,
  txProofToJson,
  verifyCertificateBytes,
  verifyCommittedAccount,
  verifyCommittedTx,
} from '../../../src/client/index.js';
import { encodeQc, type QuorumCertificate } from '../../../src/consensus/index.js';
import { addressOf, publicKeyOf } from '../../../src/crypto/keys.js';
import { peerIdOfPublicKey } from '../../../src/genesis/index.js';
import { buildChain, commitProofOf, SENDERS, signQc, TRUST } from '../client/helpers.js';
import { qcArb } from './arbitraries.js';
import {
  assertDecoderProperty,
  assertTypedError,
  checkBinaryDecoder,
  fuzzParameters,
  jsonMutationsOf,
  mutationsOf,
} from './fuzz.js';

const BLOCKS = buildChain(5);
// block 4 holds one transfer (height % 3 of them)
const HEIGHT = 4;
const txProof = {
  commit: commitProofOf(BLOCKS, HEIGHT),
  inclusion: {
    txHash: BLOCKS[HEIGHT].transfers[0].hash,
    proof: merkleProof(
      BLOCKS[HEIGHT].transfers.map((t) => t.hash),
      0,
    ),
  },
  receipt: { receipt: BLOCKS[HEIGHT].receipts[0], proof: receiptProof(BLOCKS[HEIGHT].receipts, 0) },
};
const funded = addressOf(SENDERS[0]);
const accountProof = {
  commit: commitProofOf(BLOCKS, HEIGHT),
  account: { ...proveAccount(BLOCKS[HEIGHT].view, funded), address: funded },
};

/** Parses JSON text as a node's answer would be; text that is not JSON never reaches the parser. */
function checkJsonParser<T>(text: string, parse: (json: unknown) => T, toJson: (value: T) => unknown) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'not json' as const;
  }
  let value: T;
  try {
    value = parse(json);
  } catch (err) {
    assertTypedError(err, ClientError);
    return 'refused' as const;
  }
  const again = JSON.parse(JSON.stringify(toJson(value)));
  assert.deepEqual(parse(again), value);
  return 'parsed' as const;
}

describe('fuzzed client proof JSON', () => {
  for (const [name, doc, parse, toJson] of [
    ['transaction proof', txProofToJson(txProof), parseTxProof, txProofToJson],
    ['account proof', accountProofToJson(accountProof), parseAccountProof, accountProofToJson],
  ] as const) {
    it(`a ${name} parses to a value that round-trips, or throws a ClientError`, () => {
      const seen = { parsed: 0, refused: 0 };
      fc.assert(
        fc.property(jsonMutationsOf(doc), (text) => {
          const outcome = checkJsonParser(
            text,
            parse as (j: unknown) => unknown,
            toJson as (v: unknown) => unknown,
          );
          if (outcome !== 'not json') seen[outcome]++;
        }),
        fuzzParameters(300),
      );
      assert.ok(seen.parsed > 0 && seen.refused > 0, `both outcomes must occur: ${JSON.stringify(seen)}`);
    });
  }
});

describe('fuzzed client proofs, verified', () => {
  /** What a verified answer proves: the committed block, and the facts about the transaction or account. */
  const factsOf = (v: { commit: { id: Uint8Array; height: number } } & Record<string, unknown>) => {
    const { commit, index: _index, ...facts } = v;
    return { id: commit.id, height: commit.height, ...facts };
  };
  const cases = [
    [
      'transaction proof',
      txProofToJson(txProof),
      (json: unknown) =>
        verifyCommittedTx(parseTxProof(json), txProof.inclusion.txHash, TRUST.validatorSet, TRUST.verifier),
    ],
    [
      'account proof',
      accountProofToJson(accountProof),
      (json: unknown) =>
        verifyCommittedAccount(parseAccountProof(json), funded, TRUST.validatorSet, TRUST.verifier),
    ],
  ] as const;
  for (const [name, doc, verify] of cases)
    it(`a mutated ${name} is refused with a ClientError, or proves what the genuine one proves`, () => {
      const genuine = factsOf(verify(doc) as never);
      const seen = { proven: 0, refused: 0 };
      fc.assert(
        fc.property(jsonMutationsOf(doc), (text) => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            return;
          }
          let facts: unknown;
          try {
            facts = factsOf(verify(json) as never);
          } catch (err) {
            assertTypedError(err, ClientError);
            seen.refused++;
            return;
          }
          seen.proven++;
          assert.deepEqual(facts, genuine);
        }),
        fuzzParameters(300),
      );
      assert.ok(seen.proven > 0 && seen.refused > 0, JSON.stringify(seen));
    });
});

describe('fuzzed client certificates', () => {
  it('QC bytes decode to a QC that re-encodes to them, or throw a ClientError', () => {
    assertDecoderProperty(
      mutationsOf(qcArb.map(encodeQc)),
      (input) => checkBinaryDecoder(input, (b) => decodeCertificate(b), encodeQc, ClientError),
      500,
    );
  });

  it('a mutated certificate is refused with a ClientError, or carries only genuine signatures', () => {
    // all four validators sign: a copy without one signer is still a quorum, and valid
    const target = { blockId: BLOCKS[HEIGHT].id, round: BLOCKS[HEIGHT].header.round };
    const genuine = signQc(target.round, target.blockId, [0, 1, 2, 3]);
    const signatureOf = new Map(genuine.signers.map((s, i) => [s, genuine.signatures[i]]));
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(mutationsOf(fc.constant(encodeQc(genuine)), 64), (input) => {
        let qc: QuorumCertificate;
        try {
          qc = verifyCertificateBytes(input, target, TRUST.validatorSet, TRUST.verifier);
        } catch (err) {
          assertTypedError(err, ClientError);
          seen.refused++;
          return;
        }
        seen.accepted++;
        assert.deepEqual(encodeQc(qc), input);
        assert.ok(qc.signers.length >= TRUST.quorum);
        for (const [i, signer] of qc.signers.entries())
          assert.deepEqual(
            qc.signatures[i],
            signatureOf.get(signer),
            `validator ${signer}'s signature is forged`,
          );
      }),
      fuzzParameters(200),
    );
    assert.ok(seen.accepted > 0 && seen.refused > 0, JSON.stringify(seen));
  });
});

describe('fuzzed peers file', () => {
  const peerIds = [1, 2, 3].map((i) => peerIdOfPublicKey(publicKeyOf(new Uint8Array(32).fill(i), true)));
  const allowedPeers = new Map(peerIds.map((id, i) => [id, `v${i}`]));
  const lines = [
    '# the validators',
    `/ip4/10.0.0.1/tcp/7000/p2p/${peerIds[0]}`,
    `  /dns4/v1.example.org/tcp/7000/p2p/${peerIds[1]}   # behind a name`,
    '',
    `/ip6/2001:db8::2/tcp/7000/p2p/${peerIds[2]}`,
  ];
  const text = lines.join('\n');
  const mutated = fc.oneof(
    fc.constant(text),
    // a character replaced, a cut, a line repeated or dropped
    fc
      .tuple(fc.nat(), fc.integer({ min: 0, max: 0x2fff }))
      .map(
        ([at, code]) =>
          text.slice(0, at % text.length) + String.fromCharCode(code) + text.slice((at % text.length) + 1),
      ),
    fc.nat().map((at) => text.slice(0, at % text.length)),
    fc.nat().map((at) => [...lines, lines[at % lines.length]].join('\n')),
    fc.nat().map((at) => lines.filter((_, i) => i !== at % lines.length).join('\r\n')),
    fc.string({ maxLength: 200 }),
  );

  it('a peers file gives addresses that parse again to themselves, or throws a PeersFileError', () => {
    const seen = { parsed: 0, refused: 0 };
    fc.assert(
      fc.property(mutated, (body) => {
        let addresses: string[];
        try {
          addresses = parsePeersFile(body, { source: 'peers.txt', allowedPeers });
        } catch (err) {
          assertTypedError(err, PeersFileError);
          seen.refused++;
          return;
        }
        seen.parsed++;
        assert.deepEqual(
          parsePeersFile(addresses.join('\n'), { source: 'peers.txt', allowedPeers }),
          addresses,
        );
      }),
      fuzzParameters(500),
    );
    assert.ok(seen.parsed > 0 && seen.refused > 0, `both outcomes must occur: ${JSON.stringify(seen)}`);
  });
});
