/**
 * Encrypted key files in the Ethereum "v3" keystore format (Web3 Secret Storage), as geth
 * and ethers write them, so a key made here opens in any Ethereum wallet and back:
 *
 *   { "version": 3, "id": uuid, "address": lowercase hex without 0x,
 *     "crypto": { "cipher": "aes-128-ctr", "cipherparams": { "iv": hex16 },
 *                 "ciphertext": hex32, "kdf": "scrypt",
 *                 "kdfparams": { "dklen": 32, "n": N, "r": 8, "p": 1, "salt": hex32 },
 *                 "mac": hex(keccak256(derivedKey[16..32] || ciphertext)) } }
 *
 * derivedKey = scrypt(passphrase, salt, N, r, p, 32); derivedKey[0..16] is the AES-128 key.
 * The MAC is the only check of the passphrase, so a wrong passphrase and a tampered
 * ciphertext/salt/kdfparams/mac are indistinguishable (both WRONG_PASSPHRASE). The MAC does
 * not cover the IV: a tampered IV decrypts to a different key, which the check of the
 * decrypted key against the file's `address` catches (ADDRESS_MISMATCH). Files without an
 * address (allowed by the format) lack that check; we always write one.
 *
 * Reading also accepts what other writers produce: "Crypto" (ethers) for "crypto", hex with
 * or without 0x, and the pbkdf2 KDF (hmac-sha256/512). KDF parameters are bounded before
 * any work is done, so a hostile file cannot make us allocate gigabytes.
 *
 * Passphrases are UTF-8 of their NFKC form (as ethers); if that fails and the raw form
 * differs, the raw form is tried too (geth does not normalise).
 */
import { createCipheriv, pbkdf2, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { LedgerError } from '../errors.js';
import { concatBytes, toHex } from './bytes.js';
import { keccak256 } from './hash.js';
import { type Address, addressOf, isValidSecretKey } from './keys.js';

export type KeystoreErrorCode =
  /** The MAC does not match: wrong passphrase, or the encrypted part was altered. */
  | 'WRONG_PASSPHRASE'
  /** Not JSON, or a required field is missing or has the wrong type/length. */
  | 'MALFORMED_KEYSTORE'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_KDF'
  | 'UNSUPPORTED_CIPHER'
  /** KDF parameters outside the bounds this implementation accepts (cost or memory). */
  | 'UNSUPPORTED_KDF_PARAMS'
  /** The key decrypted but its address is not the file's `address`. */
  | 'ADDRESS_MISMATCH'
  /** The secret to encrypt, or the one decrypted, is not a valid secp256k1 secret key. */
  | 'INVALID_SECRET_KEY'
  | 'KEYSTORE_EXISTS'
  | 'KEYSTORE_NOT_FOUND'
  | 'KEYSTORE_IO';

export class KeystoreError extends LedgerError {
  declare readonly code: KeystoreErrorCode;
}

/** The JSON object of a v3 keystore as this module writes it. */
export interface KeystoreV3 {
  version: 3;
  id: string;
  /** Lowercase hex without 0x, as geth writes it. */
  address: string;
  crypto: {
    cipher: 'aes-128-ctr';
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: 'scrypt';
    kdfparams: { dklen: number; n: number; r: number; p: number; salt: string };
    mac: string;
  };
}

export interface EncryptOptions {
  /** scrypt cost N, a power of two in [2, 2^20]; default 2^18 (geth's "standard"). */
  scryptN?: number;
  /** scrypt block size; default 8. */
  scryptR?: number;
  /** scrypt parallelism; default 1. */
  scryptP?: number;
}

export interface WriteOptions extends EncryptOptions {
  /** Replace an existing file (atomically); default false: KEYSTORE_EXISTS. */
  overwrite?: boolean;
}

export const DEFAULT_SCRYPT_N = 1 << 18;
export const DEFAULT_SCRYPT_R = 8;
export const DEFAULT_SCRYPT_P = 1;

/** Bounds on KDF parameters read from a file or passed in (memory = 128 * N * r bytes). */
export const MAX_SCRYPT_N = 1 << 20;
const MAX_SCRYPT_MEMORY_BYTES = 1 << 30;
const MAX_SCRYPT_WORK = (1 << 20) * 8 * 4; // N * r * p
const MAX_PBKDF2_ITERATIONS = 1 << 24;

const DKLEN = 32;
const SECRET_BYTES = 32;
const IV_BYTES = 16;
const SALT_BYTES = 32;

type Kdf =
  | { name: 'scrypt'; salt: Uint8Array; n: number; r: number; p: number; dklen: number }
  | { name: 'pbkdf2'; salt: Uint8Array; c: number; digest: 'sha256' | 'sha512'; dklen: number };

function fail(code: KeystoreErrorCode, message: string): never {
  throw new KeystoreError(code, message);
}

/** Encrypts a 32-byte secp256k1 secret key under `passphrase`. */
export async function encryptKeystore(
  secret: Uint8Array,
  passphrase: string,
  options: EncryptOptions = {},
): Promise<KeystoreV3> {
  if (!(secret instanceof Uint8Array) || !isValidSecretKey(secret)) {
    fail('INVALID_SECRET_KEY', 'the key to encrypt is not a valid 32-byte secp256k1 secret key');
  }
  if (typeof passphrase !== 'string') throw new TypeError('the passphrase must be a string');
  const kdf: Kdf = {
    name: 'scrypt',
    salt: new Uint8Array(randomBytes(SALT_BYTES)),
    n: options.scryptN ?? DEFAULT_SCRYPT_N,
    r: options.scryptR ?? DEFAULT_SCRYPT_R,
    p: options.scryptP ?? DEFAULT_SCRYPT_P,
    dklen: DKLEN,
  };
  checkScryptParams(kdf.n, kdf.r, kdf.p, 'scrypt options');
  const iv = new Uint8Array(randomBytes(IV_BYTES));
  const derived = await deriveKey(kdf, passphraseBytes(passphrase));
  try {
    const ciphertext = aes128Ctr(derived.subarray(0, 16), iv, secret);
    const mac = keccak256(concatBytes(derived.subarray(16, 32), ciphertext));
    return {
      version: 3,
      id: randomUUID(),
      address: hex(addressOf(secret)),
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: hex(iv) },
        ciphertext: hex(ciphertext),
        kdf: 'scrypt',
        kdfparams: { dklen: DKLEN, n: kdf.n, r: kdf.r, p: kdf.p, salt: hex(kdf.salt) },
        mac: hex(mac),
      },
    };
  } finally {
    derived.fill(0);
  }
}

/** Decrypts a v3 keystore (object or JSON text) and returns the 32-byte secret key. */
export async function decryptKeystore(keystore: unknown, passphrase: string): Promise<Uint8Array> {
  const data = typeof keystore === 'string' ? parseJson(keystore) : keystore;
  if (typeof passphrase !== 'string') throw new TypeError('the passphrase must be a string');
  const parsed = parseKeystore(data);

  const candidates = [passphraseBytes(passphrase)];
  const raw = new TextEncoder().encode(passphrase);
  if (toHex(raw) !== toHex(candidates[0])) candidates.push(raw);

  for (const pass of candidates) {
    const derived = await deriveKey(parsed.kdf, pass);
    try {
      const mac = keccak256(concatBytes(derived.subarray(16, 32), parsed.ciphertext));
      if (!timingSafeEqual(mac, parsed.mac)) continue;
      const secret = aes128Ctr(derived.subarray(0, 16), parsed.iv, parsed.ciphertext);
      if (!isValidSecretKey(secret)) {
        secret.fill(0);
        fail('INVALID_SECRET_KEY', 'the keystore decrypts to an invalid secp256k1 secret key');
      }
      if (parsed.address && hex(addressOf(secret)) !== hex(parsed.address)) {
        secret.fill(0);
        fail(
          'ADDRESS_MISMATCH',
          `the keystore's address 0x${hex(parsed.address)} is not the address of the key it holds`,
        );
      }
      return secret;
    } finally {
      derived.fill(0);
    }
  }
  return fail('WRONG_PASSPHRASE', 'wrong passphrase, or the keystore was altered (MAC mismatch)');
}

/**
 * The address a keystore claims, without decrypting it (undefined if it has none). Only
 * `decryptKeystore` proves that the key behind it matches.
 */
export function keystoreAddress(keystore: unknown): Address | undefined {
  const data = typeof keystore === 'string' ? parseJson(keystore) : keystore;
  return parseKeystore(data).address;
}

/** Reads and decrypts a keystore file. */
export async function readKeystoreFile(path: string, passphrase: string): Promise<Uint8Array> {
  return decryptKeystore(await readKeystoreText(path), passphrase);
}

/** Reads a keystore file's JSON text with typed errors for a missing or unreadable file. */
export async function readKeystoreText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail('KEYSTORE_NOT_FOUND', `no keystore file at ${path}`);
    throw new KeystoreError('KEYSTORE_IO', `cannot read keystore ${path}: ${code ?? 'error'}`, {
      cause: err,
    });
  }
}

/**
 * Encrypts `secret` and writes it to `path` with mode 0600. Without `overwrite`, an
 * existing file is never touched (KEYSTORE_EXISTS); with it, the file is replaced
 * atomically (temporary file + rename). Returns the keystore written.
 */
export async function writeKeystoreFile(
  path: string,
  secret: Uint8Array,
  passphrase: string,
  options: WriteOptions = {},
): Promise<KeystoreV3> {
  const keystore = await encryptKeystore(secret, passphrase, options);
  const text = `${JSON.stringify(keystore, null, 2)}\n`;
  if (!options.overwrite) {
    await writeNew(path, text);
    return keystore;
  }
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  await writeNew(tmp, text);
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new KeystoreError('KEYSTORE_IO', `cannot write keystore ${path}: ${errnoCode(err)}`, {
      cause: err,
    });
  }
  return keystore;
}

async function writeNew(path: string, text: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_EXCL: fails if the file exists, with no window between the check and the create.
    handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST')
      fail('KEYSTORE_EXISTS', `${path} already exists; refusing to overwrite it`);
    throw new KeystoreError('KEYSTORE_IO', `cannot create keystore ${path}: ${errnoCode(err)}`, {
      cause: err,
    });
  }
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(path, { force: true });
    throw new KeystoreError('KEYSTORE_IO', `cannot write keystore ${path}: ${errnoCode(err)}`, {
      cause: err,
    });
  }
  await handle.close();
}

// ---------------------------------------------------------------------------------------
// Parsing

interface ParsedKeystore {
  address: Address | undefined;
  kdf: Kdf;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  mac: Uint8Array;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail('MALFORMED_KEYSTORE', 'the keystore is not valid JSON');
  }
}

function parseKeystore(data: unknown): ParsedKeystore {
  const root = object(data, 'keystore');
  const version = field(root, 'version');
  if (version !== 3 && version !== '3') {
    fail('UNSUPPORTED_VERSION', `keystore version ${JSON.stringify(version)} is not supported (only 3)`);
  }
  const crypto = object(field(root, 'crypto'), 'crypto');

  const cipher = string(field(crypto, 'cipher'), 'crypto.cipher');
  if (cipher.toLowerCase() !== 'aes-128-ctr') fail('UNSUPPORTED_CIPHER', `cipher ${cipher} is not supported`);
  const iv = bytes(
    field(object(field(crypto, 'cipherparams'), 'crypto.cipherparams'), 'iv'),
    'crypto.cipherparams.iv',
  );
  if (iv.length !== IV_BYTES) fail('MALFORMED_KEYSTORE', `crypto.cipherparams.iv must be ${IV_BYTES} bytes`);
  const ciphertext = bytes(field(crypto, 'ciphertext'), 'crypto.ciphertext');
  if (ciphertext.length !== SECRET_BYTES) {
    fail('MALFORMED_KEYSTORE', `crypto.ciphertext must be ${SECRET_BYTES} bytes, got ${ciphertext.length}`);
  }
  const mac = bytes(field(crypto, 'mac'), 'crypto.mac');
  if (mac.length !== 32) fail('MALFORMED_KEYSTORE', 'crypto.mac must be 32 bytes');

  const kdf = parseKdf(crypto);

  const rawAddress = field(root, 'address');
  let address: Address | undefined;
  if (rawAddress !== undefined && rawAddress !== null) {
    address = bytes(rawAddress, 'address');
    if (address.length !== 20) fail('MALFORMED_KEYSTORE', 'address must be 20 bytes');
  }
  return { address, kdf, iv, ciphertext, mac };
}

function parseKdf(crypto: Record<string, unknown>): Kdf {
  const name = string(field(crypto, 'kdf'), 'crypto.kdf').toLowerCase();
  const params = object(field(crypto, 'kdfparams'), 'crypto.kdfparams');
  const salt = bytes(field(params, 'salt'), 'crypto.kdfparams.salt');
  if (salt.length === 0) fail('MALFORMED_KEYSTORE', 'crypto.kdfparams.salt is empty');
  const dklen = int(field(params, 'dklen'), 'crypto.kdfparams.dklen');
  if (dklen !== DKLEN)
    fail('UNSUPPORTED_KDF_PARAMS', `crypto.kdfparams.dklen must be ${DKLEN}, got ${dklen}`);
  if (name === 'scrypt') {
    const n = int(field(params, 'n'), 'crypto.kdfparams.n');
    const r = int(field(params, 'r'), 'crypto.kdfparams.r');
    const p = int(field(params, 'p'), 'crypto.kdfparams.p');
    checkScryptParams(n, r, p, 'crypto.kdfparams');
    return { name: 'scrypt', salt, n, r, p, dklen };
  }
  if (name === 'pbkdf2') {
    const prf = string(field(params, 'prf'), 'crypto.kdfparams.prf').toLowerCase();
    if (prf !== 'hmac-sha256' && prf !== 'hmac-sha512')
      fail('UNSUPPORTED_KDF', `pbkdf2 prf ${prf} is not supported`);
    const c = int(field(params, 'c'), 'crypto.kdfparams.c');
    if (c < 1 || c > MAX_PBKDF2_ITERATIONS) {
      fail('UNSUPPORTED_KDF_PARAMS', `pbkdf2 iteration count ${c} is outside [1, ${MAX_PBKDF2_ITERATIONS}]`);
    }
    return { name: 'pbkdf2', salt, c, digest: prf === 'hmac-sha256' ? 'sha256' : 'sha512', dklen };
  }
  return fail('UNSUPPORTED_KDF', `kdf ${name} is not supported (scrypt or pbkdf2)`);
}

function checkScryptParams(n: number, r: number, p: number, where: string): void {
  const ints = Number.isSafeInteger(n) && Number.isSafeInteger(r) && Number.isSafeInteger(p);
  if (!ints || n < 2 || n > MAX_SCRYPT_N || (n & (n - 1)) !== 0) {
    fail('UNSUPPORTED_KDF_PARAMS', `${where}: scrypt N must be a power of two in [2, 2^20], got ${n}`);
  }
  if (r < 1 || p < 1 || 128 * n * r > MAX_SCRYPT_MEMORY_BYTES || n * r * p > MAX_SCRYPT_WORK) {
    fail('UNSUPPORTED_KDF_PARAMS', `${where}: scrypt N=${n} r=${r} p=${p} exceeds the memory or work bound`);
  }
}

/** Case-insensitive member lookup, as ethers does ("Crypto" vs "crypto"); ambiguity is an error. */
function field(obj: Record<string, unknown>, name: string): unknown {
  let found: unknown;
  let count = 0;
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === name) {
      found = obj[key];
      count++;
    }
  }
  if (count > 1) fail('MALFORMED_KEYSTORE', `keystore has ${count} fields named ${name} (in any case)`);
  return found;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('MALFORMED_KEYSTORE', `${path} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') fail('MALFORMED_KEYSTORE', `${path} must be a string`);
  return value;
}

function int(value: unknown, path: string): number {
  const n = typeof value === 'string' && /^[0-9]{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    fail('MALFORMED_KEYSTORE', `${path} must be a non-negative integer`);
  }
  return n;
}

function bytes(value: unknown, path: string): Uint8Array {
  const text = string(value, path);
  const body = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!/^([0-9a-fA-F]{2})*$/.test(body)) fail('MALFORMED_KEYSTORE', `${path} must be hex`);
  return new Uint8Array(Buffer.from(body, 'hex'));
}

// ---------------------------------------------------------------------------------------
// Primitives

function hex(b: Uint8Array): string {
  return toHex(b).slice(2);
}

function passphraseBytes(passphrase: string): Uint8Array {
  return new TextEncoder().encode(passphrase.normalize('NFKC'));
}

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? 'error';
}

function deriveKey(kdf: Kdf, passphrase: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, key: Buffer) => {
      if (err) reject(new KeystoreError('UNSUPPORTED_KDF_PARAMS', `key derivation failed: ${err.message}`));
      else {
        const derived = new Uint8Array(key);
        key.fill(0);
        resolve(derived);
      }
    };
    if (kdf.name === 'scrypt') {
      // OpenSSL needs 128 * r * (N + p + 2) bytes; Node's default maxmem (32 MiB) is too small for N = 2^18.
      const maxmem = 128 * kdf.r * (kdf.n + kdf.p + 2) + (1 << 20);
      scrypt(passphrase, kdf.salt, kdf.dklen, { N: kdf.n, r: kdf.r, p: kdf.p, maxmem }, done);
    } else {
      pbkdf2(passphrase, kdf.salt, kdf.c, kdf.dklen, kdf.digest, done);
    }
  });
}

function aes128Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  // CTR mode is symmetric: the same keystream encrypts and decrypts.
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  const out = Buffer.concat([cipher.update(data), cipher.final()]);
  // Copy out of Node's shared Buffer pool so the caller owns (and may zero) the only copy.
  const result = new Uint8Array(out);
  out.fill(0);
  return result;
}
