/** Fuzzed keystore parser (src/crypto/keystore.ts), with a cheap scrypt fixture (N = 2). */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { addressOf } from '../../../src/crypto/keys.js';
import {
  decryptKeystore,
  encryptKeystore,
  KeystoreError,
  type KeystoreV3,
} from '../../../src/crypto/keystore.js';
import { assertTypedError, fuzzParameters, jsonMutationsOf } from './fuzz.js';

const PASSPHRASE = 'fuzz passphrase';
const SECRET = new Uint8Array(32).fill(7);
let fixture: KeystoreV3;

before(async () => {
  fixture = await encryptKeystore(SECRET, PASSPHRASE, { scryptN: 2, scryptR: 1, scryptP: 1 });
});

/** A keystore claiming these scrypt parameters; everything else valid. */
function withScrypt(n: number, r: number, p: number): KeystoreV3 {
  return { ...fixture, crypto: { ...fixture.crypto, kdfparams: { ...fixture.crypto.kdfparams, n, r, p } } };
}

describe('fuzzed keystore parser', () => {
  it('a keystore decrypts to a key matching its address, or throws a KeystoreError', async () => {
    let decrypted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => jsonMutationsOf(fixture)),
        async (text) => {
          let secret: Uint8Array;
          try {
            secret = await decryptKeystore(text, PASSPHRASE);
          } catch (err) {
            assertTypedError(err, KeystoreError);
            refused++;
            return;
          }
          decrypted++;
          // the MAC held, so the ciphertext is the fixture's; only an IV change without an address
          // to check could give another key, and then the file named no address
          const doc = JSON.parse(text) as { address?: unknown };
          if (typeof doc.address === 'string') assert.deepEqual(addressOf(secret), addressOf(SECRET));
        },
      ),
      fuzzParameters(300),
    );
    assert.ok(decrypted > 0 && refused > 0, 'both outcomes must occur');
  });

  it('refuses huge scrypt parameters before running scrypt', async () => {
    for (const [n, r, p] of [
      [2 ** 30, 8, 1],
      [2 ** 20, 2 ** 20, 1],
      [2, 1, 2 ** 40],
      [3, 1, 1],
    ]) {
      let settled = false;
      const outcome = decryptKeystore(withScrypt(n, r, p), PASSPHRASE).then(
        () => undefined,
        (err: unknown) => err,
      );
      void outcome.then(() => {
        settled = true;
      });
      // scrypt runs on the thread pool and answers on a later turn of the event loop: a
      // refusal settled before the next check phase was made without it
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(settled, true, `N=${n} r=${r} p=${p} was not refused at once`);
      const err = await outcome;
      assertTypedError(err, KeystoreError);
      assert.equal((err as KeystoreError).code, 'UNSUPPORTED_KDF_PARAMS');
      assert.doesNotMatch((err as Error).message, /key derivation failed/);
    }
  });
});
