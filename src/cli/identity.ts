/** The public identity of a secret key, as the CLI prints it. Never includes the secret. */
import { toHex } from '../crypto/bytes.js';
import { addressOf, publicKeyOf, toChecksumAddress } from '../crypto/keys.js';
import { peerIdOfPublicKey } from '../genesis/index.js';

export interface KeyIdentity {
  address: string;
  publicKey: string;
  peerId: string;
}

export function identityOf(secret: Uint8Array): KeyIdentity {
  const publicKey = publicKeyOf(secret, true);
  return {
    address: toChecksumAddress(addressOf(secret)),
    publicKey: toHex(publicKey),
    peerId: peerIdOfPublicKey(publicKey),
  };
}

/** Aligned `label  value` lines. */
export function formatTable(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
}
