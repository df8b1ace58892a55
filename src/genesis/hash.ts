/**
 * The identity of a genesis document: sha256 over its canonical JSON. The chain puts it in
 * the genesis block (src/chain/genesis-block.ts, as the parent hash), so the genesis block
 * hash commits to the validator set and parameters, not only to the allocations.
 *
 * Canonical JSON = genesisToJson(genesis) with alloc sorted by address, serialised by
 * JSON.stringify without whitespace, UTF-8. It depends only on the parsed content: layout,
 * address letter case and alloc order of the file do not change it; validator order does
 * (it is significant).
 */
import { sha256 } from '../crypto/hash.js';
import { genesisToJson } from './parse.js';
import type { Genesis } from './types.js';

export function canonicalGenesisJson(genesis: Genesis): string {
  const sorted: Genesis = {
    ...genesis,
    alloc: [...genesis.alloc].sort((a, b) => Buffer.compare(a.address, b.address)),
  };
  return JSON.stringify(genesisToJson(sorted));
}

export function genesisDocumentHash(genesis: Genesis): Uint8Array {
  return sha256(new TextEncoder().encode(canonicalGenesisJson(genesis)));
}
