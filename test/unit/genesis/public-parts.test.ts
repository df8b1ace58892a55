/** A genesis from the public parts of each validator (src/genesis/public-parts.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf, publicKeyOf, toChecksumAddress } from '../../../src/crypto/keys.js';
import {
  DEFAULT_GENESIS_PARAMS,
  GenesisError,
  type GenesisErrorCode,
  genesisDocumentHash,
  genesisFromParties,
  MAX_VALIDATORS_FILE_BYTES,
  parseValidatorsFile,
  peerIdOfPublicKey,
} from '../../../src/genesis/index.js';

/** Fixed keys: secret i is 32 bytes of i, so every run builds the same genesis. */
function party(i: number) {
  const secret = new Uint8Array(32).fill(i);
  const publicKey = publicKeyOf(secret, true);
  return {
    name: `v${i}`,
    address: toChecksumAddress(addressOf(secret)),
    publicKey: toHex(publicKey),
    peerId: peerIdOfPublicKey(publicKey),
  };
}

const V = [1, 2, 3, 4].map(party);
const OBSERVER = party(9);
const FUNDED = toChecksumAddress(addressOf(new Uint8Array(32).fill(20)));

const OPTIONS = {
  chainId: 4242n,
  genesisTimeMs: 1_700_000_000_000,
  params: { ...DEFAULT_GENESIS_PARAMS, baseFeePerGas: DEFAULT_GENESIS_PARAMS.baseFeePerGas.toString() },
};

function textFile(validators = V): string {
  return [
    '# the network of issue 14',
    ...validators.map((v) => `validator ${v.name} ${v.address} ${v.publicKey} ${v.peerId}`),
    '',
    `observer explorer ${OBSERVER.peerId}   # read-only`,
    `alloc ${FUNDED} 1000000`,
  ].join('\n');
}

function build(text: string, source: string) {
  return genesisFromParties(parseValidatorsFile(text, source), { ...OPTIONS, source });
}

function refused(text: string, source: string, code: GenesisErrorCode, path: string, message?: RegExp): void {
  assert.throws(
    () => build(text, source),
    (err) => {
      assert.ok(err instanceof GenesisError, String(err));
      assert.equal(err.code, code, err.message);
      assert.equal(err.path, path, err.message);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe('genesis from a validators file of public parts', () => {
  it('builds the same genesis from the text and the JSON form', () => {
    const fromText = build(textFile(), 'parts.txt');
    const json = JSON.stringify({
      validators: V.map((v) => ({ ...v, power: 1 })),
      observers: [{ name: 'explorer', peerId: OBSERVER.peerId }],
      alloc: { [FUNDED]: '1000000' },
    });
    const fromJson = build(json, 'parts.json');
    const g = fromText.genesis;
    assert.equal(g.chainId, 4242n);
    assert.equal(g.genesisTimeMs, OPTIONS.genesisTimeMs);
    assert.deepEqual(
      g.validators.map((v) => v.peerId),
      V.map((v) => v.peerId),
    );
    assert.deepEqual(g.observers, [{ name: 'explorer', peerId: OBSERVER.peerId }]);
    assert.deepEqual(
      g.alloc.map((a) => [toChecksumAddress(a.address), a.balance]),
      [[FUNDED, 1_000_000n]],
    );
    assert.equal(g.quorum, 3);
    assert.deepEqual(genesisDocumentHash(fromJson.genesis), genesisDocumentHash(g));
    assert.deepEqual(fromText.json, fromJson.json);
  });

  it('takes JSON without power, observers or alloc', () => {
    const { genesis } = build(JSON.stringify({ validators: V }), 'parts.json');
    assert.equal(genesis.validators.length, 4);
    assert.deepEqual(genesis.observers, []);
    assert.deepEqual(genesis.alloc, []);
  });

  it('refuses a public key that is not the one of its address or peer id, naming the line', () => {
    const swappedAddress = V.map((v, i) => (i === 1 ? { ...v, address: V[2].address } : v));
    refused(
      textFile(swappedAddress),
      'parts.txt',
      'ADDRESS_MISMATCH',
      'parts.txt:3',
      /^parts\.txt:3 validators\[1\]\.address does not match validators\[1\]\.publicKey/,
    );
    const swappedPeerId = V.map((v, i) => (i === 3 ? { ...v, peerId: V[0].peerId } : v));
    refused(textFile(swappedPeerId), 'parts.txt', 'PEER_ID_MISMATCH', 'parts.txt:5', /expected /);
    const otherKey = V.map((v, i) => (i === 0 ? { ...v, publicKey: V[1].publicKey } : v));
    refused(textFile(otherKey), 'parts.txt', 'ADDRESS_MISMATCH', 'parts.txt:2');
  });

  it('refuses the same errors in JSON, naming the JSON path', () => {
    const validators = V.map((v, i) => (i === 2 ? { ...v, peerId: OBSERVER.peerId } : v));
    refused(
      JSON.stringify({ validators }),
      'parts.json',
      'PEER_ID_MISMATCH',
      'parts.json: validators[2].peerId',
    );
    refused(
      JSON.stringify({ validators: [...V, V[0]] }),
      'parts.json',
      'DUPLICATE_NAME',
      'parts.json: validators[4].name',
    );
    refused(
      JSON.stringify({ validators: V, chainId: '1' }),
      'parts.json',
      'UNKNOWN_FIELD',
      'parts.json: chainId',
    );
    refused(
      JSON.stringify({ validators: [{ ...V[0], secret: '0x01' }] }),
      'parts.json',
      'UNKNOWN_FIELD',
      'parts.json: validators[0].secret',
    );
    refused('{"validators": [', 'parts.json', 'MALFORMED_VALIDATORS_FILE', 'parts.json', /not valid JSON/);
    refused(
      '{"observers": []}',
      'parts.json',
      'MALFORMED_VALIDATORS_FILE',
      'parts.json',
      /"validators" array/,
    );
    refused('{"validators": []}', 'parts.json', 'NO_VALIDATORS', 'parts.json: validators');
  });

  it('refuses malformed text lines with their line number', () => {
    const lines = textFile().split('\n');
    const at = (line: number, text: string) =>
      [...lines.slice(0, line - 1), text, ...lines.slice(line - 1)].join('\n');
    refused(
      at(3, 'validator v9 0x00'),
      'p.txt',
      'MALFORMED_VALIDATORS_FILE',
      'p.txt:3',
      /expected "validator NAME/,
    );
    refused(
      at(2, 'validators v9'),
      'p.txt',
      'MALFORMED_VALIDATORS_FILE',
      'p.txt:2',
      /unknown entry "validators"/,
    );
    refused(
      at(4, 'observer one'),
      'p.txt',
      'MALFORMED_VALIDATORS_FILE',
      'p.txt:4',
      /expected "observer NAME PEER_ID"/,
    );
    refused(`${textFile()}\nalloc ${FUNDED} 5`, 'p.txt', 'DUPLICATE_ALLOC', 'p.txt:9', /line 8/);
    refused(`${textFile()}\nalloc 0x1234 5`, 'p.txt', 'INVALID_ADDRESS', 'p.txt:9');
    refused(
      `${textFile()}\nalloc ${toChecksumAddress(addressOf(new Uint8Array(32).fill(21)))} -5`,
      'p.txt',
      'INVALID_BALANCE',
      'p.txt:9',
    );
    refused(`${textFile()}\nobserver o2 not-a-peer-id`, 'p.txt', 'INVALID_PEER_ID', 'p.txt:9');
    const v = V[0];
    const weighted = textFile().replace(`${v.peerId}\n`, `${v.peerId} 2\n`);
    refused(weighted, 'p.txt', 'INVALID_POWER', 'p.txt:2', /must be 1/);
    refused(textFile().replace(`${v.peerId}\n`, `${v.peerId} lots\n`), 'p.txt', 'INVALID_POWER', 'p.txt:2');
    refused('# nobody yet\n', 'p.txt', 'NO_VALIDATORS', 'p.txt');
  });

  it('refuses a file larger than its bound before parsing it', () => {
    refused(`#${'x'.repeat(MAX_VALIDATORS_FILE_BYTES)}`, 'big.txt', 'VALIDATORS_FILE_TOO_LARGE', 'big.txt');
  });
});
