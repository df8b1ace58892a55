/**
 * secp256k1 keys and Ethereum-style addresses.
 * An address is the last 20 bytes of keccak-256 over the 64-byte uncompressed public key
 * (without its 0x04 prefix), shown as EIP-55 mixed-case checksummed hex.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import * as secp from '@noble/secp256k1';
import { InvalidInputError } from '../errors.js';
import { fromHex, toHex } from './bytes.js';
import { keccak256 } from './hash.js';

// noble 3's synchronous API needs these wired once (FACTS.md).
secp.hashes.sha256 = nobleSha256;
secp.hashes.hmacSha256 = (key: Uint8Array, msg: Uint8Array) => hmac(nobleSha256, key, msg);

export type Address = Uint8Array;

/** Half the curve order: signatures with s above it are malleable and rejected (EIP-2). */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

export function generateSecretKey(): Uint8Array {
  return secp.utils.randomSecretKey();
}

export function isValidSecretKey(secret: Uint8Array): boolean {
  return secret.length === 32 && secp.utils.isValidSecretKey(secret);
}

export function publicKeyOf(secret: Uint8Array, compressed = false): Uint8Array {
  return secp.getPublicKey(secret, compressed);
}

/** Converts a 33-byte compressed or 65-byte uncompressed key to the 65-byte form. */
export function uncompressPublicKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length === 65) return publicKey;
  return secp.Point.fromBytes(publicKey).toBytes(false);
}

export function compressPublicKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length === 33) return publicKey;
  return secp.Point.fromBytes(publicKey).toBytes(true);
}

export function isValidPublicKey(publicKey: Uint8Array): boolean {
  return secp.utils.isValidPublicKey(publicKey);
}

export function addressFromPublicKey(publicKey: Uint8Array): Address {
  const uncompressed = uncompressPublicKey(publicKey);
  return keccak256(uncompressed.subarray(1)).subarray(12);
}

export function addressOf(secret: Uint8Array): Address {
  return addressFromPublicKey(publicKeyOf(secret, false));
}

/** EIP-55: uppercase a hex letter when the matching nibble of keccak(lowercase hex) is >= 8. */
export function toChecksumAddress(address: Address): string {
  if (address.length !== 20) throw new InvalidInputError('INVALID_ADDRESS', 'an address is 20 bytes');
  const lower = toHex(address).slice(2);
  const hash = keccak256(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  return out;
}

/**
 * Parses an address. All-lowercase and all-uppercase hex carry no checksum and are
 * accepted; mixed case must match EIP-55 exactly, because a typo then is caught.
 */
export function parseAddress(text: string): Address {
  if (typeof text !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new InvalidInputError('INVALID_ADDRESS', 'an address is 0x followed by 40 hex digits');
  }
  const bytes = fromHex(text, 20, 'address');
  const body = text.slice(2);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && toChecksumAddress(bytes) !== text) {
    throw new InvalidInputError('BAD_ADDRESS_CHECKSUM', `address ${text} has a wrong EIP-55 checksum`);
  }
  return bytes;
}

/** A recoverable ECDSA signature in Ethereum's terms. */
export interface RecoverableSignature {
  r: bigint;
  s: bigint;
  yParity: 0 | 1;
}

/** Signs a 32-byte digest (no further hashing), low-s, deterministic (RFC 6979). */
export function signDigest(digest: Uint8Array, secret: Uint8Array): RecoverableSignature {
  const sig = secp.Signature.fromBytes(
    secp.sign(digest, secret, { prehash: false, format: 'recovered' }),
    'recovered',
  );
  return { r: sig.r, s: sig.s, yParity: sig.recovery as 0 | 1 };
}

/** 65-byte r || s || yParity encoding, used for consensus messages. */
export function encodeSignature(sig: RecoverableSignature): Uint8Array {
  const out = new Uint8Array(65);
  out.set(fromHex(`0x${sig.r.toString(16).padStart(64, '0')}`), 0);
  out.set(fromHex(`0x${sig.s.toString(16).padStart(64, '0')}`), 32);
  out[64] = sig.yParity;
  return out;
}

export function decodeSignature(bytes: Uint8Array): RecoverableSignature {
  if (bytes.length !== 65) throw new InvalidInputError('INVALID_SIGNATURE', 'a signature is 65 bytes');
  const v = bytes[64];
  if (v !== 0 && v !== 1)
    throw new InvalidInputError('INVALID_SIGNATURE', 'signature recovery byte must be 0 or 1');
  return {
    r: BigInt(toHex(bytes.subarray(0, 32))),
    s: BigInt(toHex(bytes.subarray(32, 64))),
    yParity: v,
  };
}
