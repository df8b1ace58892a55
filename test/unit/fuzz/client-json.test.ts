/**
 * Fuzzed text parsers that are not binary codecs: the client's proof JSON (src/client/json.ts,
 * what a wallet reads from any node) and the peers file of `ledger node --peers`
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
  parseAccountProof,
  parseTxProof,
  txProofToJson,
} from '../../../src/client/index.js';
import { addressOf, publicKeyOf } from '../../../src/crypto/keys.js';
import { peerIdOfPublicKey } from '../../../src/genesis/index.js';
import { buildChain, commitProofOf, SENDERS } from '../client/helpers.js';
import { assertTypedError, fuzzParameters, jsonMutationsOf } from './fuzz.js';

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
