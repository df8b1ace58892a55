/**
 * Making a new network: fresh validator keys and the genesis document that lists them.
 * The result is run through parseGenesis before it is returned, so what the CLI writes
 * is exactly what a node accepts.
 */
import { toHex } from '../crypto/bytes.js';
import { addressOf, generateSecretKey, publicKeyOf, toChecksumAddress } from '../crypto/keys.js';
import { genesisToJson, parseGenesis } from './parse.js';
import { peerIdOfPublicKey } from './peer-id.js';
import {
  DEFAULT_GENESIS_PARAMS,
  type Genesis,
  type GenesisAllocation,
  type GenesisJson,
  type GenesisObserver,
  type GenesisParams,
} from './types.js';

export interface CreateGenesisOptions {
  /** Number of validators, >= 1. */
  validators: number;
  chainId: bigint;
  /** Default: now. */
  genesisTimeMs?: number;
  alloc?: readonly GenesisAllocation[];
  observers?: readonly GenesisObserver[];
  /** Overrides of DEFAULT_GENESIS_PARAMS. */
  params?: Partial<GenesisParams>;
  /** Validator names; default v0, v1, ... */
  name?: (index: number) => string;
}

export interface CreatedGenesis {
  json: GenesisJson;
  genesis: Genesis;
  /** Secret key of validators[i]; the caller must store them encrypted and never print them. */
  secrets: Uint8Array[];
}

export function createGenesis(options: CreateGenesisOptions): CreatedGenesis {
  const n = options.validators;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`validators must be a positive integer, got ${n}`);
  const name = options.name ?? ((i: number) => `v${i}`);
  const secrets = Array.from({ length: n }, () => generateSecretKey());
  const params = { ...DEFAULT_GENESIS_PARAMS, ...options.params };
  const json: GenesisJson = {
    chainId: options.chainId.toString(),
    genesisTimeMs: options.genesisTimeMs ?? Date.now(),
    validators: secrets.map((secret, i) => {
      const publicKey = publicKeyOf(secret, true);
      return {
        name: name(i),
        address: toChecksumAddress(addressOf(secret)),
        publicKey: toHex(publicKey),
        peerId: peerIdOfPublicKey(publicKey),
        power: 1,
      };
    }),
    observers: (options.observers ?? []).map((o) => ({ name: o.name, peerId: o.peerId })),
    alloc: Object.fromEntries(
      (options.alloc ?? []).map((a) => [toChecksumAddress(a.address), a.balance.toString()]),
    ),
    params: {
      maxBlockTxs: params.maxBlockTxs,
      maxBlockBytes: params.maxBlockBytes,
      baseRoundTimeoutMs: params.baseRoundTimeoutMs,
      baseFeePerGas: params.baseFeePerGas.toString(),
    },
  };
  const genesis = parseGenesis(json);
  return { json: genesisToJson(genesis), genesis, secrets };
}
