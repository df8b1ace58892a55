/**
 * What the wallet trusts: a genesis document read from a local file (by default the
 * devnet's, shipped with the project), optionally pinned by its genesis block hash. The
 * validator set that checks every proof comes from here, never from a node.
 */
import { resolve } from 'node:path';
import { type ClientTrust, trustFromGenesis } from '../client/index.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import { type Genesis, loadGenesisFile } from '../genesis/index.js';
import { toWalletError, WalletError } from './errors.js';

/** genesis/devnet.json of this project, wherever the wallet is run from. */
export const DEVNET_GENESIS_PATH = resolve(import.meta.dirname, '../../genesis/devnet.json');
/** The devnet's public faucet key (passphrase DEVNET_FAUCET_PASSPHRASE), test-only. */
export const DEVNET_FAUCET_PATH = resolve(import.meta.dirname, '../../genesis/devnet-keys/faucet.json');
export const DEVNET_FAUCET_PASSPHRASE = 'devnet';

export interface WalletChain {
  genesis: Genesis;
  trust: ClientTrust;
}

export function chainOf(genesis: Genesis, pinnedGenesisHash?: Uint8Array): WalletChain {
  try {
    return { genesis, trust: trustFromGenesis(genesis, pinnedGenesisHash) };
  } catch (err) {
    throw toWalletError(err);
  }
}

/** Parses a `--genesis-hash` pin: 0x and 64 hex digits (INVALID_INPUT). */
export function parseGenesisHash(text: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(text))
    throw new WalletError('INVALID_INPUT', 'a genesis hash is 0x followed by 64 hex digits');
  return fromHex(text, 32, 'genesis hash');
}

/** Reads and checks the genesis file at `path`; GENESIS_ERROR when it is missing, invalid or not the pinned one. */
export async function loadWalletChain(path: string, pinnedGenesisHash?: Uint8Array): Promise<WalletChain> {
  let genesis: Genesis;
  try {
    genesis = await loadGenesisFile(path);
  } catch (err) {
    throw toWalletError(err);
  }
  return chainOf(genesis, pinnedGenesisHash);
}

export function genesisHashHex(chain: WalletChain): string {
  return toHex(chain.trust.genesisHash);
}
