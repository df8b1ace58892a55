import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf, generateSecretKey, toChecksumAddress } from '../../../src/crypto/keys.js';
import {
  decryptKeystore,
  encryptKeystore,
  KeystoreError,
  type KeystoreV3,
  keystoreAddress,
  readKeystoreFile,
  writeKeystoreFile,
} from '../../../src/crypto/keystore.js';

// Small scrypt cost so the suite stays fast; the cost is recorded in the file.
const N = 1 << 10;
const PASS = 'correct horse battery staple';

function tampered(keystore: KeystoreV3, edit: (k: KeystoreV3) => void): KeystoreV3 {
  const copy = structuredClone(keystore);
  edit(copy);
  return copy;
}

/** Flips the lowest bit of the first byte of a hex string. */
function flipHex(text: string): string {
  const first = Number.parseInt(text.slice(0, 2), 16) ^ 1;
  return first.toString(16).padStart(2, '0') + text.slice(2);
}

describe('keystore (Ethereum v3)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-keystore-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the v3 layout with the address and the scrypt parameters recorded', async () => {
    const secret = generateSecretKey();
    const ks = await encryptKeystore(secret, PASS, { scryptN: N });
    assert.equal(ks.version, 3);
    assert.equal(ks.address, toHex(addressOf(secret)).slice(2));
    assert.match(ks.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(ks.crypto.cipher, 'aes-128-ctr');
    assert.equal(ks.crypto.kdf, 'scrypt');
    assert.deepEqual(
      { n: ks.crypto.kdfparams.n, r: ks.crypto.kdfparams.r, p: ks.crypto.kdfparams.p },
      { n: N, r: 8, p: 1 },
    );
    assert.equal(ks.crypto.kdfparams.dklen, 32);
    assert.match(ks.crypto.ciphertext, /^[0-9a-f]{64}$/);
    assert.match(ks.crypto.mac, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(ks).includes(toHex(secret).slice(2)), 'the secret is not in the file');
    assert.deepEqual(await decryptKeystore(ks, PASS), secret);
    assert.deepEqual(keystoreAddress(ks), addressOf(secret));
  });

  it('a keystore we write decrypts in ethers to the same address and key', async () => {
    const secret = generateSecretKey();
    const ks = await encryptKeystore(secret, PASS, { scryptN: N });
    const wallet = await Wallet.fromEncryptedJson(JSON.stringify(ks), PASS);
    assert.equal(wallet.address, toChecksumAddress(addressOf(secret)));
    assert.equal(wallet.privateKey, toHex(secret));
  });

  it('a keystore ethers writes decrypts with ours', async () => {
    // wallet.encrypt() takes no scrypt options (its second argument is a progress callback),
    // so use the function behind it. The mnemonic adds ethers' "x-ethers" section, which we ignore.
    const wallet = Wallet.createRandom();
    const json = await encryptKeystoreJson(
      {
        address: wallet.address,
        privateKey: wallet.privateKey,
        mnemonic: { entropy: wallet.mnemonic!.entropy, path: wallet.path!, locale: 'en' },
      },
      PASS,
      { scrypt: { N } },
    );
    assert.ok(JSON.parse(json)['x-ethers']);
    assert.ok(JSON.parse(json).Crypto, 'ethers writes "Crypto" with a capital C');
    const secret = await decryptKeystore(json, PASS);
    assert.equal(toHex(secret), wallet.privateKey);
    assert.equal(toChecksumAddress(addressOf(secret)), wallet.address);
  });

  it('normalises the passphrase like ethers (NFKC) and still opens raw-byte (geth) files', async () => {
    const composed = 'caf\u00e9'; // é as one code point (NFKC form)
    const decomposed = 'cafe\u0301'; // e + combining acute
    const wallet = Wallet.createRandom();
    const fromEthers = await encryptKeystoreJson(
      { address: wallet.address, privateKey: wallet.privateKey },
      decomposed,
      { scrypt: { N } },
    );
    assert.equal(toHex(await decryptKeystore(fromEthers, composed)), wallet.privateKey);
    const ours = await encryptKeystore(generateSecretKey(), decomposed, { scryptN: N });
    const w = await Wallet.fromEncryptedJson(JSON.stringify(ours), composed);
    assert.equal(w.address.toLowerCase(), `0x${ours.address}`);
  });

  it('a wrong passphrase is WRONG_PASSPHRASE', async () => {
    const ks = await encryptKeystore(generateSecretKey(), PASS, { scryptN: N });
    await assert.rejects(decryptKeystore(ks, 'not it'), (err: unknown) => {
      assert.ok(err instanceof KeystoreError);
      assert.equal(err.code, 'WRONG_PASSPHRASE');
      assert.match(err.message, /wrong passphrase/);
      return true;
    });
  });

  it('tampered keystores give typed errors', async () => {
    const secret = generateSecretKey();
    const ks = await encryptKeystore(secret, PASS, { scryptN: N });
    const other = toHex(addressOf(generateSecretKey())).slice(2);
    type Params = Record<string, unknown>;
    type Loose = Params & { crypto: Params & { kdfparams: Params; cipherparams: Params } };
    const edit = (fn: (k: Loose) => void) => tampered(ks, fn as unknown as (k: KeystoreV3) => void);
    const cases: Array<[string, unknown, string]> = [
      [
        'ciphertext bit flip',
        edit((k) => {
          k.crypto.ciphertext = flipHex(ks.crypto.ciphertext);
        }),
        'WRONG_PASSPHRASE',
      ],
      [
        'mac bit flip',
        edit((k) => {
          k.crypto.mac = flipHex(ks.crypto.mac);
        }),
        'WRONG_PASSPHRASE',
      ],
      [
        'salt bit flip',
        edit((k) => {
          k.crypto.kdfparams.salt = flipHex(ks.crypto.kdfparams.salt);
        }),
        'WRONG_PASSPHRASE',
      ],
      // The v3 MAC does not cover the IV: only the address check catches this one.
      [
        'iv bit flip',
        edit((k) => {
          k.crypto.cipherparams.iv = flipHex(ks.crypto.cipherparams.iv);
        }),
        'ADDRESS_MISMATCH',
      ],
      [
        'address swapped',
        edit((k) => {
          k.address = other;
        }),
        'ADDRESS_MISMATCH',
      ],
      [
        'kdf renamed',
        edit((k) => {
          k.crypto.kdf = 'argon2id';
        }),
        'UNSUPPORTED_KDF',
      ],
      [
        'cipher renamed',
        edit((k) => {
          k.crypto.cipher = 'aes-256-gcm';
        }),
        'UNSUPPORTED_CIPHER',
      ],
      [
        'version 4',
        edit((k) => {
          k.version = 4;
        }),
        'UNSUPPORTED_VERSION',
      ],
      [
        'huge scrypt N',
        edit((k) => {
          k.crypto.kdfparams.n = 1 << 30;
        }),
        'UNSUPPORTED_KDF_PARAMS',
      ],
      [
        'N not a power of two',
        edit((k) => {
          k.crypto.kdfparams.n = 1000;
        }),
        'UNSUPPORTED_KDF_PARAMS',
      ],
      [
        'dklen 16',
        edit((k) => {
          k.crypto.kdfparams.dklen = 16;
        }),
        'UNSUPPORTED_KDF_PARAMS',
      ],
      [
        'short ciphertext',
        edit((k) => {
          k.crypto.ciphertext = ks.crypto.ciphertext.slice(2);
        }),
        'MALFORMED_KEYSTORE',
      ],
      [
        'non-hex iv',
        edit((k) => {
          k.crypto.cipherparams.iv = 'zz'.repeat(16);
        }),
        'MALFORMED_KEYSTORE',
      ],
      [
        'mac missing',
        edit((k) => {
          delete k.crypto.mac;
        }),
        'MALFORMED_KEYSTORE',
      ],
      [
        'crypto missing',
        edit((k) => {
          delete (k as Record<string, unknown>).crypto;
        }),
        'MALFORMED_KEYSTORE',
      ],
      [
        'n as a float',
        edit((k) => {
          k.crypto.kdfparams.n = 1024.5;
        }),
        'MALFORMED_KEYSTORE',
      ],
      ['not JSON', '{"version": 3,', 'MALFORMED_KEYSTORE'],
      ['an array', '[]', 'MALFORMED_KEYSTORE'],
    ];
    for (const [name, input, code] of cases) {
      await assert.rejects(decryptKeystore(input, PASS), (err: unknown) => {
        assert.ok(err instanceof KeystoreError, `${name}: KeystoreError`);
        assert.equal(err.code, code, `${name}: ${err.message}`);
        return true;
      });
    }
    // The untampered original still opens.
    assert.deepEqual(await decryptKeystore(ks, PASS), secret);
  });

  it('opens a pbkdf2 keystore (geth --lightkdf era files)', async () => {
    // Built by hand with the same layout geth uses for pbkdf2 keystores.
    const { pbkdf2Sync, createCipheriv, randomBytes } = await import('node:crypto');
    const { keccak256 } = await import('../../../src/crypto/hash.js');
    const secret = generateSecretKey();
    const salt = randomBytes(32);
    const iv = randomBytes(16);
    const dk = pbkdf2Sync(PASS, salt, 1000, 32, 'sha256');
    const c = createCipheriv('aes-128-ctr', dk.subarray(0, 16), iv);
    const ciphertext = Buffer.concat([c.update(secret), c.final()]);
    const mac = keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext]));
    const ks = {
      version: 3,
      id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
      address: toHex(addressOf(secret)).slice(2),
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: iv.toString('hex') },
        ciphertext: ciphertext.toString('hex'),
        kdf: 'pbkdf2',
        kdfparams: { c: 1000, dklen: 32, prf: 'hmac-sha256', salt: salt.toString('hex') },
        mac: toHex(mac).slice(2),
      },
    };
    assert.deepEqual(await decryptKeystore(ks, PASS), secret);
    const w = await Wallet.fromEncryptedJson(JSON.stringify(ks), PASS);
    assert.equal(w.privateKey, toHex(secret));
  });

  it('refuses to encrypt an invalid secret key or use out-of-range scrypt options', async () => {
    await assert.rejects(encryptKeystore(new Uint8Array(32), PASS, { scryptN: N }), {
      code: 'INVALID_SECRET_KEY',
    });
    await assert.rejects(encryptKeystore(new Uint8Array(31).fill(1), PASS, { scryptN: N }), {
      code: 'INVALID_SECRET_KEY',
    });
    await assert.rejects(encryptKeystore(generateSecretKey(), PASS, { scryptN: 1000 }), {
      code: 'UNSUPPORTED_KDF_PARAMS',
    });
  });

  it('writes files with mode 0600, refuses to overwrite unless asked, and reads them back', async () => {
    const path = join(dir, 'key.json');
    const first = generateSecretKey();
    await writeKeystoreFile(path, first, PASS, { scryptN: N });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readKeystoreFile(path, PASS), first);

    const second = generateSecretKey();
    await assert.rejects(writeKeystoreFile(path, second, PASS, { scryptN: N }), { code: 'KEYSTORE_EXISTS' });
    assert.deepEqual(await readKeystoreFile(path, PASS), first, 'the existing file is untouched');

    await writeKeystoreFile(path, second, PASS, { scryptN: N, overwrite: true });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readKeystoreFile(path, PASS), second);
    const json = JSON.parse(await readFile(path, 'utf8'));
    assert.equal(json.address, toHex(addressOf(second)).slice(2));
  });

  it('reading a missing or garbage file gives a typed error', async () => {
    await assert.rejects(readKeystoreFile(join(dir, 'nope.json'), PASS), { code: 'KEYSTORE_NOT_FOUND' });
    const garbage = join(dir, 'garbage.json');
    await writeFile(garbage, 'not json at all');
    await assert.rejects(readKeystoreFile(garbage, PASS), { code: 'MALFORMED_KEYSTORE' });
    await assert.rejects(readKeystoreFile(dir, PASS), { code: 'KEYSTORE_IO' });
  });
});
