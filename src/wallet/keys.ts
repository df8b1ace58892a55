/**
 * The wallet's key: one v3 keystore file (src/crypto/keystore.ts, readable by geth and
 * ethers). Reading an address needs no passphrase (the file states it); signing decrypts
 * the key for the one operation, and callers wipe it after use.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromHex } from '../crypto/bytes.js';
import { type Address, addressOf, generateSecretKey, isValidSecretKey } from '../crypto/keys.js';
import {
  type EncryptOptions,
  keystoreAddress,
  readKeystoreFile,
  readKeystoreText,
  writeKeystoreFile,
} from '../crypto/keystore.js';
import { toWalletError, WalletError } from './errors.js';

async function keystoreCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toWalletError(err);
  }
}

/** Decrypts the keystore at `path` (WRONG_PASSPHRASE, KEYSTORE_ERROR). */
export function openKeystore(path: string, passphrase: string): Promise<Uint8Array> {
  return keystoreCall(() => readKeystoreFile(path, passphrase));
}

/**
 * The address the keystore states, without decrypting it; a file without one is decrypted
 * with the passphrase `passphrase()` supplies.
 */
export async function keystoreAddressOf(path: string, passphrase: () => Promise<string>): Promise<Address> {
  const text = await keystoreCall(() => readKeystoreText(path));
  const stated = await keystoreCall(async () => keystoreAddress(text));
  if (stated) return stated;
  const secret = await openKeystore(path, await passphrase());
  try {
    return addressOf(secret);
  } finally {
    secret.fill(0);
  }
}

/** Writes `secret` encrypted to a new file at `path` (never over an existing one). */
async function writeKey(
  path: string,
  secret: Uint8Array,
  passphrase: string,
  options: EncryptOptions,
): Promise<Address> {
  await keystoreCall(async () => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeKeystoreFile(path, secret, passphrase, options);
  });
  return addressOf(secret);
}

/** `new`: a fresh key, encrypted to `path`. */
export async function createKeystore(
  path: string,
  passphrase: string,
  options: EncryptOptions = {},
): Promise<Address> {
  const secret = generateSecretKey();
  try {
    return await writeKey(path, secret, passphrase, options);
  } finally {
    secret.fill(0);
  }
}

/** Parses a private key as 64 hex digits, with or without 0x (INVALID_INPUT; the key is never echoed). */
export function parsePrivateKey(text: string): Uint8Array {
  const body = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{64}$/.test(body))
    throw new WalletError('INVALID_INPUT', 'a private key is 64 hex digits (32 bytes), with or without 0x');
  const secret = fromHex(`0x${body}`, 32, 'private key');
  if (!isValidSecretKey(secret)) {
    secret.fill(0);
    throw new WalletError(
      'INVALID_INPUT',
      'not a valid secp256k1 private key (zero, or not below the curve order)',
    );
  }
  return secret;
}

/** `import`: an existing private key, encrypted to `path`. */
export async function importKeystore(
  path: string,
  privateKeyText: string,
  passphrase: string,
  options: EncryptOptions = {},
): Promise<Address> {
  const secret = parsePrivateKey(privateKeyText);
  try {
    return await writeKey(path, secret, passphrase, options);
  } finally {
    secret.fill(0);
  }
}
