import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, privateKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf, generateSecretKey, publicKeyOf, toChecksumAddress } from '../../../src/crypto/keys.js';
import { readKeystoreFile } from '../../../src/crypto/keystore.js';
import {
  canonicalGenesisJson,
  createGenesis,
  faultTolerance,
  GenesisError,
  type GenesisJson,
  genesisDocumentHash,
  genesisToJson,
  loadGenesisFile,
  parseGenesis,
  peerIdOfPublicKey,
  quorumSize,
} from '../../../src/genesis/index.js';

const DEVNET = new URL('../../../genesis/devnet.json', import.meta.url).pathname;
const DEVNET_KEYS = new URL('../../../genesis/devnet-keys/', import.meta.url).pathname;

describe('devnet genesis', () => {
  it('parses, with 4 validators, chain id 1337, a funded faucet and the agreed params', async () => {
    const g = await loadGenesisFile(DEVNET);
    assert.equal(g.chainId, 1337n);
    assert.equal(g.validators.length, 4);
    assert.equal(g.faultTolerance, 1);
    assert.equal(g.quorum, 3);
    assert.deepEqual(g.params, {
      maxBlockTxs: 1000,
      maxBlockBytes: 1024 * 1024,
      baseRoundTimeoutMs: 1000,
      baseFeePerGas: 1_000_000_000n,
    });
    assert.equal(g.alloc.length, 1);
    assert.equal(g.alloc[0].balance, 10n ** 30n);
    for (const [i, v] of g.validators.entries()) {
      assert.equal(v.index, i);
      assert.equal(v.publicKey.length, 33);
      assert.match(v.peerId, /^16Uiu2/);
    }
  });

  it('is in canonical form: serialising the parsed genesis gives the file back', async () => {
    const text = await readFile(DEVNET, 'utf8');
    assert.equal(`${JSON.stringify(genesisToJson(parseGenesis(JSON.parse(text))), null, 2)}\n`, text);
  });

  it('its committed keys decrypt with "devnet" and match the genesis addresses and peer ids', async () => {
    const g = await loadGenesisFile(DEVNET);
    for (const v of g.validators) {
      const secret = await readKeystoreFile(join(DEVNET_KEYS, `validator-${v.index}.json`), 'devnet');
      assert.deepEqual(addressOf(secret), v.address, `${v.name} address`);
      assert.deepEqual(publicKeyOf(secret, true), v.publicKey, `${v.name} public key`);
      assert.equal(peerIdOfPublicKey(publicKeyOf(secret, true)), v.peerId, `${v.name} peer id`);
      // The node's libp2p identity, made from the same secret, has the genesis peer id.
      assert.equal(peerIdFromPrivateKey(privateKeyFromRaw(secret)).toString(), v.peerId);
    }
    const faucet = await readKeystoreFile(join(DEVNET_KEYS, 'faucet.json'), 'devnet');
    assert.deepEqual(addressOf(faucet), g.alloc[0].address);
    await assert.rejects(readKeystoreFile(join(DEVNET_KEYS, 'faucet.json'), 'mainnet'), {
      code: 'WRONG_PASSPHRASE',
    });
  });
});

describe('genesis document hash', () => {
  it('pins the devnet hash (a change here changes every devnet genesis block)', async () => {
    const g = await loadGenesisFile(DEVNET);
    assert.equal(
      toHex(genesisDocumentHash(g)),
      '0xdcdc02ffb8ba6d6fd0b44b5360368c989f758f70a0617323c97c0f92ae428f6f',
    );
  });

  it('depends on content only: not layout, address case or alloc order; validator order counts', () => {
    const { json } = createGenesis({
      validators: 3,
      chainId: 9n,
      genesisTimeMs: 1,
      alloc: [1, 2, 3].map((n) => ({ address: addressOf(new Uint8Array(32).fill(n)), balance: BigInt(n) })),
    });
    const h = toHex(genesisDocumentHash(parseGenesis(json)));
    const shuffled = {
      params: json.params,
      alloc: Object.fromEntries(
        Object.entries(json.alloc ?? {})
          .reverse()
          .map(([k, v]) => [k.toLowerCase(), v]),
      ),
      validators: json.validators.map((v) => ({ ...v, address: v.address.toLowerCase() })),
      genesisTimeMs: json.genesisTimeMs,
      chainId: json.chainId,
    };
    assert.equal(toHex(genesisDocumentHash(parseGenesis(shuffled))), h);
    assert.equal(canonicalGenesisJson(parseGenesis(shuffled)), canonicalGenesisJson(parseGenesis(json)));
    assert.ok(!canonicalGenesisJson(parseGenesis(json)).includes(' '), 'no whitespace');

    const reordered = { ...json, validators: [...json.validators].reverse() };
    assert.notEqual(toHex(genesisDocumentHash(parseGenesis(reordered))), h);
    const otherFee = { ...json, params: { ...json.params, baseFeePerGas: '2' } };
    assert.notEqual(toHex(genesisDocumentHash(parseGenesis(otherFee))), h);
  });
});

describe('quorum arithmetic', () => {
  it('is 2f + 1 when n = 3f + 1, safe and live for every n', () => {
    const table = [
      [1, 0, 1],
      [2, 0, 2],
      [3, 0, 3],
      [4, 1, 3],
      [5, 1, 4],
      [6, 1, 5],
      [7, 2, 5],
      [10, 3, 7],
    ];
    for (const [n, f, q] of table) {
      assert.equal(faultTolerance(n), f, `f(${n})`);
      assert.equal(quorumSize(n), q, `q(${n})`);
    }
    for (let n = 1; n <= 300; n++) {
      const f = faultTolerance(n);
      const q = quorumSize(n);
      assert.ok(2 * q - n >= f + 1, `n=${n}: two quorums share an honest validator`);
      assert.ok(q <= n - f, `n=${n}: honest validators alone form a quorum`);
      if (n % 3 === 1) assert.equal(q, 2 * f + 1);
    }
    assert.throws(() => faultTolerance(0), RangeError);
  });
});

describe('createGenesis', () => {
  it('makes n fresh validators whose secrets match the genesis, for n that is not 3f+1 too', () => {
    const faucet = generateSecretKey();
    const { json, genesis, secrets } = createGenesis({
      validators: 5,
      chainId: 42n,
      genesisTimeMs: 1_700_000_000_000,
      alloc: [{ address: addressOf(faucet), balance: 123n }],
      params: { maxBlockTxs: 10 },
    });
    assert.equal(secrets.length, 5);
    assert.equal(new Set(secrets.map(toHex)).size, 5);
    assert.equal(genesis.faultTolerance, 1);
    assert.equal(genesis.quorum, 4); // n - f; 2f + 1 = 3 would let two quorums share only a faulty validator
    assert.equal(json.chainId, '42');
    assert.equal(json.params.maxBlockTxs, 10);
    assert.equal(json.params.baseFeePerGas, '1000000000');
    assert.deepEqual(json.alloc, { [toChecksumAddress(addressOf(faucet))]: '123' });
    for (const [i, v] of genesis.validators.entries()) {
      assert.equal(v.name, `v${i}`);
      assert.deepEqual(v.address, addressOf(secrets[i]));
      assert.equal(json.validators[i].address, toChecksumAddress(addressOf(secrets[i])));
    }
    assert.deepEqual(parseGenesis(JSON.parse(JSON.stringify(json))), genesis);
  });

  it('refuses what parseGenesis refuses', () => {
    assert.throws(() => createGenesis({ validators: 1, chainId: 0n }), { code: 'INVALID_CHAIN_ID' });
    assert.throws(() => createGenesis({ validators: 1, chainId: 1n, params: { maxBlockBytes: 10 } }), {
      code: 'INVALID_PARAM',
    });
    assert.throws(() => createGenesis({ validators: 0, chainId: 1n }), RangeError);
  });
});

describe('parseGenesis rejects bad genesis files with typed errors', () => {
  let base: GenesisJson;
  let ed25519PeerId: string;
  before(async () => {
    base = createGenesis({
      validators: 4,
      chainId: 1337n,
      genesisTimeMs: 1_764_000_000_000,
      alloc: [{ address: addressOf(generateSecretKey()), balance: 10n ** 18n }],
    }).json;
    ed25519PeerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();
    base.observers = [{ name: 'obs0', peerId: ed25519PeerId }];
  });

  type Loose = Record<string, unknown>;
  type Mutable = Loose & {
    validators: Array<Record<string, unknown>>;
    observers: Array<Record<string, unknown>>;
    alloc: Record<string, unknown>;
    params: Record<string, unknown>;
  };
  function mutate(edit: (g: Mutable) => void): unknown {
    const copy = structuredClone(base) as unknown as Mutable;
    edit(copy);
    return copy;
  }

  it('accepts the base document (with an Ed25519 observer) and a chain id of 2^64-1', () => {
    const g = parseGenesis(base);
    assert.equal(g.observers[0].peerId, ed25519PeerId);
    assert.equal(
      parseGenesis(
        mutate((g) => {
          g.chainId = '18446744073709551615';
        }),
      ).chainId,
      2n ** 64n - 1n,
    );
    const lower = mutate((g) => {
      g.validators[0].address = String(g.validators[0].address).toLowerCase();
    });
    assert.deepEqual(parseGenesis(lower).validators[0].address, parseGenesis(base).validators[0].address);
  });

  const cases: Array<[string, (g: Mutable) => unknown, string, string]> = [
    // [description, mutation (returning a replacement document, or nothing), code, path]
    ['root is an array', () => [], 'MALFORMED_GENESIS', ''],
    ['root is null', () => null, 'MALFORMED_GENESIS', ''],
    [
      'chainId missing',
      (g) => {
        delete g.chainId;
      },
      'MISSING_FIELD',
      'chainId',
    ],
    [
      'misspelt top-level field',
      (g) => {
        g.observer = [];
      },
      'UNKNOWN_FIELD',
      'observer',
    ],
    [
      'chainId as a number',
      (g) => {
        g.chainId = 1337;
      },
      'INVALID_CHAIN_ID',
      'chainId',
    ],
    [
      'chainId zero',
      (g) => {
        g.chainId = '0';
      },
      'INVALID_CHAIN_ID',
      'chainId',
    ],
    [
      'chainId 2^64',
      (g) => {
        g.chainId = '18446744073709551616';
      },
      'INVALID_CHAIN_ID',
      'chainId',
    ],
    [
      'chainId with a leading zero',
      (g) => {
        g.chainId = '01337';
      },
      'INVALID_CHAIN_ID',
      'chainId',
    ],
    [
      'chainId in hex',
      (g) => {
        g.chainId = '0x539';
      },
      'INVALID_CHAIN_ID',
      'chainId',
    ],
    [
      'negative genesis time',
      (g) => {
        g.genesisTimeMs = -1;
      },
      'INVALID_GENESIS_TIME',
      'genesisTimeMs',
    ],
    [
      'fractional genesis time',
      (g) => {
        g.genesisTimeMs = 1.5;
      },
      'INVALID_GENESIS_TIME',
      'genesisTimeMs',
    ],
    [
      'genesis time as a string',
      (g) => {
        g.genesisTimeMs = '0';
      },
      'INVALID_GENESIS_TIME',
      'genesisTimeMs',
    ],
    [
      'no validators',
      (g) => {
        g.validators = [];
      },
      'NO_VALIDATORS',
      'validators',
    ],
    [
      'validators not an array',
      (g) => {
        (g as Loose).validators = {};
      },
      'MALFORMED_GENESIS',
      'validators',
    ],
    [
      '257 validators',
      (g) => {
        g.validators = new Array(257).fill({});
      },
      'TOO_MANY_VALIDATORS',
      'validators',
    ],
    [
      'a validator that is a string',
      (g) => {
        (g.validators as unknown[])[1] = 'v1';
      },
      'MALFORMED_GENESIS',
      'validators[1]',
    ],
    [
      'validator without peerId',
      (g) => {
        delete g.validators[1].peerId;
      },
      'MISSING_FIELD',
      'validators[1].peerId',
    ],
    [
      'validator extra field',
      (g) => {
        g.validators[2].weight = 1;
      },
      'UNKNOWN_FIELD',
      'validators[2].weight',
    ],
    [
      'empty name',
      (g) => {
        g.validators[0].name = '';
      },
      'INVALID_NAME',
      'validators[0].name',
    ],
    [
      'name with a space',
      (g) => {
        g.validators[0].name = 'v 0';
      },
      'INVALID_NAME',
      'validators[0].name',
    ],
    [
      'duplicate validator name',
      (g) => {
        g.validators[3].name = 'v0';
      },
      'DUPLICATE_NAME',
      'validators[3].name',
    ],
    [
      'observer named like a validator',
      (g) => {
        g.observers[0].name = 'v2';
      },
      'DUPLICATE_NAME',
      'observers[0].name',
    ],
    [
      'address with a bad checksum',
      (g) => {
        g.validators[1].address = flipCase(String(g.validators[1].address));
      },
      'INVALID_ADDRESS',
      'validators[1].address',
    ],
    [
      'address too short',
      (g) => {
        g.validators[1].address = '0x1234';
      },
      'INVALID_ADDRESS',
      'validators[1].address',
    ],
    [
      'address of another validator',
      (g) => {
        g.validators[1].address = g.validators[0].address;
      },
      'DUPLICATE_ADDRESS',
      'validators[1].address',
    ],
    [
      'address not of its public key',
      (g) => {
        g.validators[1].address = toChecksumAddress(addressOf(generateSecretKey()));
      },
      'ADDRESS_MISMATCH',
      'validators[1].address',
    ],
    [
      'public key of another validator',
      (g) => {
        g.validators[2].publicKey = g.validators[0].publicKey;
      },
      'DUPLICATE_PUBLIC_KEY',
      'validators[2].publicKey',
    ],
    [
      'uncompressed public key',
      (g) => {
        g.validators[0].publicKey = toHex(publicKeyOf(generateSecretKey(), false));
      },
      'INVALID_PUBLIC_KEY',
      'validators[0].publicKey',
    ],
    [
      'public key not on the curve',
      (g) => {
        g.validators[0].publicKey = `0x02${'ff'.repeat(32)}`;
      },
      'INVALID_PUBLIC_KEY',
      'validators[0].publicKey',
    ],
    [
      'public key with a bad prefix',
      (g) => {
        g.validators[0].publicKey = `0x05${String(g.validators[0].publicKey).slice(4)}`;
      },
      'INVALID_PUBLIC_KEY',
      'validators[0].publicKey',
    ],
    [
      'garbage peer id',
      (g) => {
        g.validators[2].peerId = 'hello';
      },
      'INVALID_PEER_ID',
      'validators[2].peerId',
    ],
    [
      'peer id of another validator',
      (g) => {
        g.validators[2].peerId = g.validators[3].peerId;
      },
      'PEER_ID_MISMATCH',
      'validators[2].peerId',
    ],
    [
      'power 2',
      (g) => {
        g.validators[0].power = 2;
      },
      'INVALID_POWER',
      'validators[0].power',
    ],
    [
      'power as a string',
      (g) => {
        g.validators[0].power = '1';
      },
      'INVALID_POWER',
      'validators[0].power',
    ],
    [
      'observers not an array',
      (g) => {
        (g as Loose).observers = {};
      },
      'MALFORMED_GENESIS',
      'observers',
    ],
    [
      'garbage observer peer id',
      (g) => {
        g.observers[0].peerId = '16Uiu2x';
      },
      'INVALID_PEER_ID',
      'observers[0].peerId',
    ],
    [
      "observer with a validator's peer id",
      (g) => {
        g.observers[0].peerId = g.validators[1].peerId;
      },
      'DUPLICATE_PEER_ID',
      'observers[0].peerId',
    ],
    [
      'observer extra field',
      (g) => {
        g.observers[0].publicKey = '0x';
      },
      'UNKNOWN_FIELD',
      'observers[0].publicKey',
    ],
    [
      'alloc an array',
      (g) => {
        (g as Loose).alloc = [];
      },
      'MALFORMED_GENESIS',
      'alloc',
    ],
    [
      'alloc bad address',
      (g) => {
        g.alloc = { '0x12': '1' };
      },
      'INVALID_ADDRESS',
      'alloc["0x12"]',
    ],
    ...allocBalance('balance as a number', 1000, 'INVALID_BALANCE'),
    ...allocBalance('negative balance', '-1', 'INVALID_BALANCE'),
    ...allocBalance('balance in hex', '0x10', 'INVALID_BALANCE'),
    ...allocBalance('balance of 2^256', (2n ** 256n).toString(), 'INVALID_BALANCE'),
    [
      'total allocation of 2^256',
      (g) => {
        const half = (2n ** 255n).toString();
        g.alloc = { [addr(1)]: half, [addr(2)]: half };
      },
      'INVALID_BALANCE',
      `alloc["${addr(2)}"]`,
    ],
    [
      'the same address twice in different case',
      (g) => {
        g.alloc = { [addr(3)]: '1', [addr(3).toLowerCase()]: '2' };
      },
      'DUPLICATE_ALLOC',
      `alloc["${addr(3).toLowerCase()}"]`,
    ],
    [
      'params missing',
      (g) => {
        delete (g as Loose).params;
      },
      'MISSING_FIELD',
      'params',
    ],
    [
      'base fee missing',
      (g) => {
        delete g.params.baseFeePerGas;
      },
      'MISSING_FIELD',
      'params.baseFeePerGas',
    ],
    [
      'unknown param',
      (g) => {
        g.params.maxGas = 1;
      },
      'UNKNOWN_FIELD',
      'params.maxGas',
    ],
    [
      'maxBlockTxs 0',
      (g) => {
        g.params.maxBlockTxs = 0;
      },
      'INVALID_PARAM',
      'params.maxBlockTxs',
    ],
    [
      'maxBlockTxs huge',
      (g) => {
        g.params.maxBlockTxs = 1e9;
      },
      'INVALID_PARAM',
      'params.maxBlockTxs',
    ],
    [
      'maxBlockBytes fractional',
      (g) => {
        g.params.maxBlockBytes = 4096.5;
      },
      'INVALID_PARAM',
      'params.maxBlockBytes',
    ],
    [
      'maxBlockBytes tiny',
      (g) => {
        g.params.maxBlockBytes = 100;
      },
      'INVALID_PARAM',
      'params.maxBlockBytes',
    ],
    [
      'round timeout 10 ms',
      (g) => {
        g.params.baseRoundTimeoutMs = 10;
      },
      'INVALID_PARAM',
      'params.baseRoundTimeoutMs',
    ],
    [
      'base fee zero',
      (g) => {
        g.params.baseFeePerGas = '0';
      },
      'INVALID_PARAM',
      'params.baseFeePerGas',
    ],
    [
      'base fee as a number',
      (g) => {
        g.params.baseFeePerGas = 1e9;
      },
      'INVALID_PARAM',
      'params.baseFeePerGas',
    ],
  ];

  for (const [name, edit, code, path] of cases) {
    it(`${name} -> ${code}`, () => {
      let doc: unknown = structuredClone(base);
      const replaced = edit(doc as Mutable);
      if (replaced !== undefined) doc = replaced;
      assert.throws(
        () => parseGenesis(doc),
        (err: unknown) => {
          assert.ok(err instanceof GenesisError, `expected a GenesisError, got ${err}`);
          assert.equal(err.code, code, err.message);
          assert.equal(err.path, path);
          assert.ok(err.message.startsWith(path), `message names the path: ${err.message}`);
          return true;
        },
      );
    });
  }

  it('names the path and the expected peer id on a mismatch', () => {
    const doc = mutate((g) => {
      g.validators[2].peerId = g.validators[3].peerId;
    });
    assert.throws(() => parseGenesis(doc), {
      code: 'PEER_ID_MISMATCH',
      message: `validators[2].peerId does not match validators[2].publicKey (expected ${base.validators[2].peerId})`,
    });
  });
});

describe('loadGenesisFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-genesis-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives typed errors for a missing file, bad JSON and an unreadable path', async () => {
    await assert.rejects(loadGenesisFile(join(dir, 'missing.json')), { code: 'GENESIS_NOT_FOUND' });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"chainId": "1",');
    await assert.rejects(loadGenesisFile(bad), { code: 'MALFORMED_GENESIS' });
    await assert.rejects(loadGenesisFile(dir), { code: 'GENESIS_IO' });
  });

  it('loads a valid file written to disk', async () => {
    const { json, genesis } = createGenesis({ validators: 2, chainId: 7n, genesisTimeMs: 0 });
    const path = join(dir, 'genesis.json');
    await writeFile(path, JSON.stringify(json));
    assert.deepEqual(await loadGenesisFile(path), genesis);
  });
});

/** A checksummed address made from a small number, for alloc keys. */
function addr(n: number): string {
  return toChecksumAddress(addressOf(new Uint8Array(32).fill(n)));
}

/** Flips the case of the first letter of an address, breaking its EIP-55 checksum. */
function flipCase(address: string): string {
  const at = address.slice(2).search(/[a-fA-F]/) + 2;
  const ch = address[at];
  const flipped = ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
  return address.slice(0, at) + flipped + address.slice(at + 1);
}

function allocBalance(
  name: string,
  balance: unknown,
  code: string,
): Array<[string, (g: Record<string, unknown>) => unknown, string, string]> {
  return [
    [
      name,
      (g) => {
        g.alloc = { [addr(9)]: balance };
      },
      code,
      `alloc["${addr(9)}"]`,
    ],
  ];
}
