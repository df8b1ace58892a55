/**
 * libp2p peer ids of validator keys. A validator's secp256k1 key is both its signing key
 * and its libp2p identity; its peer id is the identity multihash of the protobuf-encoded
 * compressed public key, base58btc: "16Uiu2...".
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import { compressPublicKey } from '../crypto/keys.js';

/** The peer id string of a secp256k1 public key (33-byte compressed or 65-byte uncompressed). */
export function peerIdOfPublicKey(publicKey: Uint8Array): string {
  // publicKeyFromRaw recognises secp256k1 only in its 33-byte compressed form.
  return peerIdFromPublicKey(publicKeyFromRaw(compressPublicKey(publicKey))).toString();
}

/** Parses a peer id string; undefined if it is not one. */
export function tryParsePeerId(text: string): ReturnType<typeof peerIdFromString> | undefined {
  try {
    return peerIdFromString(text);
  } catch {
    return undefined;
  }
}
