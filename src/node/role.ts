/** What the genesis says this node is, and the genesis block it starts from. */
import { buildGenesisBlock, type GenesisBlock } from '../chain/index.js';
import { toHex } from '../crypto/bytes.js';
import { addressOf, publicKeyOf, toChecksumAddress } from '../crypto/keys.js';
import { type Genesis, genesisDocumentHash, peerIdOfPublicKey } from '../genesis/index.js';
import { NodeError } from './errors.js';

/** The role a key gives this node in the genesis. */
export type NodeRole = { kind: 'validator'; index: number } | { kind: 'observer'; name: string };

/** Finds the key in the genesis; refuses a key that is neither a validator's nor an observer's. */
export function roleOf(genesis: Genesis, secret: Uint8Array): NodeRole {
  const address = toHex(addressOf(secret));
  const index = genesis.validators.findIndex((v) => toHex(v.address) === address);
  if (index >= 0) return { kind: 'validator', index };
  const peerId = peerIdOfPublicKey(publicKeyOf(secret, true));
  const observer = genesis.observers.find((o) => o.peerId === peerId);
  if (observer) return { kind: 'observer', name: observer.name };
  throw new NodeError(
    'KEY_NOT_IN_GENESIS',
    `the key ${toChecksumAddress(addressOf(secret))} (peer id ${peerId}) is neither a validator nor an observer of this genesis`,
  );
}

export function genesisBlockOf(genesis: Genesis): GenesisBlock {
  return buildGenesisBlock({
    chainId: genesis.chainId,
    timestampMs: genesis.genesisTimeMs,
    alloc: genesis.alloc.map((a) => [a.address, a.balance] as const),
    documentHash: genesisDocumentHash(genesis),
  });
}
