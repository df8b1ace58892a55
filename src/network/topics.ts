/**
 * Gossip topics and the direct protocol id. Names carry a "fork digest", the first four
 * bytes of the genesis block id (which commits to the chain id, validators and
 * parameters), so nodes of different networks never share a topic.
 */
import { toHex } from '../crypto/bytes.js';

export const TOPIC_KINDS = ['proposal', 'timeout', 'transactions'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

export type Topics = Readonly<Record<TopicKind, string>>;

export function forkDigest(genesisId: Uint8Array): string {
  return toHex(genesisId.subarray(0, 4)).replace(/^0x/, '');
}

export function topicsFor(genesisId: Uint8Array): Topics {
  const d = forkDigest(genesisId);
  return {
    proposal: `/bft-ledger/${d}/proposal/1`,
    timeout: `/bft-ledger/${d}/timeout/1`,
    transactions: `/bft-ledger/${d}/transactions/1`,
  };
}

/** Votes and block fetches go to one validator over this libp2p protocol. */
export function directProtocolFor(genesisId: Uint8Array): string {
  return `/bft-ledger/${forkDigest(genesisId)}/direct/1`;
}

/** Block sync (src/sync): one stream per range request, open to observers too. */
export function syncProtocolFor(genesisId: Uint8Array): string {
  return `/bft-ledger/${forkDigest(genesisId)}/sync/1`;
}
