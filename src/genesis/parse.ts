/**
 * The one validation gate for genesis files. Every field is checked and every failure is
 * a GenesisError whose code is stable and whose message starts with the JSON path.
 */
import { readFile } from 'node:fs/promises';
import { fromHex, toHex } from '../crypto/bytes.js';
import {
  type Address,
  addressFromPublicKey,
  compressPublicKey,
  isValidPublicKey,
  parseAddress,
  toChecksumAddress,
} from '../crypto/keys.js';
import { LedgerError } from '../errors.js';
import { GenesisError, type GenesisErrorCode } from './errors.js';
import { peerIdOfPublicKey, tryParsePeerId } from './peer-id.js';
import { faultTolerance, quorumSize } from './quorum.js';
import {
  GENESIS_LIMITS,
  type Genesis,
  type GenesisAllocation,
  type GenesisJson,
  type GenesisObserver,
  type GenesisParams,
  type GenesisValidator,
} from './types.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DECIMAL_RE = /^(0|[1-9][0-9]*)$/;

type Json = Record<string, unknown>;

function fail(code: GenesisErrorCode, path: string, message: string): never {
  throw new GenesisError(code, path, message);
}

/** Validates a genesis document (already JSON-parsed) and returns its typed form. */
export function parseGenesis(json: unknown): Genesis {
  const root = object(json, '');
  fields(root, '', ['chainId', 'genesisTimeMs', 'validators', 'params'], ['observers', 'alloc']);

  const chainId = decimal(root.chainId, 'chainId', 'INVALID_CHAIN_ID');
  // Positive and fits the 8-byte chainId field of block headers and transactions.
  if (chainId < 1n || chainId > GENESIS_LIMITS.maxChainId) {
    fail('INVALID_CHAIN_ID', 'chainId', 'must be between 1 and 2^64-1');
  }

  const genesisTimeMs = root.genesisTimeMs;
  if (typeof genesisTimeMs !== 'number' || !Number.isSafeInteger(genesisTimeMs) || genesisTimeMs < 0) {
    fail('INVALID_GENESIS_TIME', 'genesisTimeMs', 'must be a non-negative integer (ms since the Unix epoch)');
  }

  const names = new Map<string, string>(); // name -> path of its first use
  const peerIds = new Map<string, string>();
  const validators = parseValidators(root.validators, names, peerIds);
  const observers = root.observers === undefined ? [] : parseObservers(root.observers, names, peerIds);
  const alloc = root.alloc === undefined ? [] : parseAlloc(root.alloc);
  const params = parseParams(root.params);

  const n = validators.length;
  return {
    chainId,
    genesisTimeMs,
    validators,
    observers,
    alloc,
    params,
    faultTolerance: faultTolerance(n),
    quorum: quorumSize(n),
  };
}

/** Reads and validates a genesis file. */
export async function loadGenesisFile(path: string): Promise<Genesis> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail('GENESIS_NOT_FOUND', '', `no genesis file at ${path}`);
    throw new GenesisError('GENESIS_IO', '', `cannot read genesis file ${path}: ${code ?? 'error'}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    fail('MALFORMED_GENESIS', '', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseGenesis(json);
}

/** The file form of a parsed genesis; parseGenesis(genesisToJson(g)) deep-equals g. */
export function genesisToJson(genesis: Genesis): GenesisJson {
  return {
    chainId: genesis.chainId.toString(),
    genesisTimeMs: genesis.genesisTimeMs,
    validators: genesis.validators.map((v) => ({
      name: v.name,
      address: toChecksumAddress(v.address),
      publicKey: toHex(v.publicKey),
      peerId: v.peerId,
      power: v.power,
    })),
    observers: genesis.observers.map((o) => ({ name: o.name, peerId: o.peerId })),
    alloc: Object.fromEntries(genesis.alloc.map((a) => [toChecksumAddress(a.address), a.balance.toString()])),
    params: {
      maxBlockTxs: genesis.params.maxBlockTxs,
      maxBlockBytes: genesis.params.maxBlockBytes,
      baseRoundTimeoutMs: genesis.params.baseRoundTimeoutMs,
      baseFeePerGas: genesis.params.baseFeePerGas.toString(),
    },
  };
}

// ---------------------------------------------------------------------------------------

function parseValidators(
  value: unknown,
  names: Map<string, string>,
  peerIds: Map<string, string>,
): GenesisValidator[] {
  if (!Array.isArray(value)) fail('MALFORMED_GENESIS', 'validators', 'must be an array');
  // n >= 1; n = 3f + 1 is not required (quorum.ts handles any n).
  if (value.length === 0) fail('NO_VALIDATORS', 'validators', 'must list at least one validator');
  if (value.length > GENESIS_LIMITS.maxValidators) {
    fail(
      'TOO_MANY_VALIDATORS',
      'validators',
      `lists ${value.length} validators; at most ${GENESIS_LIMITS.maxValidators}`,
    );
  }
  const addresses = new Map<string, string>();
  const publicKeys = new Map<string, string>();
  return value.map((entry, index): GenesisValidator => {
    const at = `validators[${index}]`;
    const v = object(entry, at);
    fields(v, at, ['name', 'address', 'publicKey', 'peerId', 'power'], []);

    const name = parseName(v.name, `${at}.name`, names);
    const address = parseAddressField(v.address, `${at}.address`);
    const publicKey = parsePublicKey(v.publicKey, `${at}.publicKey`);
    unique(addresses, toHex(address), `${at}.address`, 'DUPLICATE_ADDRESS', 'address');
    unique(publicKeys, toHex(publicKey), `${at}.publicKey`, 'DUPLICATE_PUBLIC_KEY', 'public key');

    // The address is derived from the key; a mismatch means a copy-paste error.
    const derived = addressFromPublicKey(publicKey);
    if (toHex(derived) !== toHex(address)) {
      fail(
        'ADDRESS_MISMATCH',
        `${at}.address`,
        `does not match ${at}.publicKey (whose address is ${toChecksumAddress(derived)})`,
      );
    }

    const peerId = v.peerId;
    if (typeof peerId !== 'string' || tryParsePeerId(peerId) === undefined) {
      fail('INVALID_PEER_ID', `${at}.peerId`, 'is not a libp2p peer id');
    }
    // The libp2p identity is the validator key itself, so a peer can be mapped to its vote.
    const expected = peerIdOfPublicKey(publicKey);
    if (peerId !== expected) {
      fail('PEER_ID_MISMATCH', `${at}.peerId`, `does not match ${at}.publicKey (expected ${expected})`);
    }
    unique(peerIds, peerId, `${at}.peerId`, 'DUPLICATE_PEER_ID', 'peer id');

    // Equal voting power only: quorums are counted in validators.
    if (v.power !== 1) fail('INVALID_POWER', `${at}.power`, 'must be 1 (weighted voting is not supported)');

    return { index, name, address, publicKey, peerId, power: 1 };
  });
}

function parseObservers(
  value: unknown,
  names: Map<string, string>,
  peerIds: Map<string, string>,
): GenesisObserver[] {
  if (!Array.isArray(value)) fail('MALFORMED_GENESIS', 'observers', 'must be an array');
  if (value.length > GENESIS_LIMITS.maxObservers) {
    fail(
      'TOO_MANY_OBSERVERS',
      'observers',
      `lists ${value.length} observers; at most ${GENESIS_LIMITS.maxObservers}`,
    );
  }
  return value.map((entry, index): GenesisObserver => {
    const at = `observers[${index}]`;
    const o = object(entry, at);
    fields(o, at, ['name', 'peerId'], []);
    const name = parseName(o.name, `${at}.name`, names);
    const peerId = o.peerId;
    // Any key type is allowed for observers, but only in the canonical string form.
    const parsed = typeof peerId === 'string' ? tryParsePeerId(peerId) : undefined;
    if (parsed === undefined || parsed.toString() !== peerId) {
      fail('INVALID_PEER_ID', `${at}.peerId`, 'is not a libp2p peer id in canonical (base58btc) form');
    }
    unique(peerIds, peerId, `${at}.peerId`, 'DUPLICATE_PEER_ID', 'peer id');
    return { name, peerId };
  });
}

function parseAlloc(value: unknown): GenesisAllocation[] {
  const alloc = object(value, 'alloc');
  const keys = Object.keys(alloc);
  if (keys.length > GENESIS_LIMITS.maxAllocEntries) {
    fail('INVALID_ALLOC', 'alloc', `has ${keys.length} entries; at most ${GENESIS_LIMITS.maxAllocEntries}`);
  }
  const seen = new Map<string, string>();
  let total = 0n;
  return keys.map((key): GenesisAllocation => {
    const at = `alloc[${JSON.stringify(key)}]`;
    const address = parseAddressField(key, at);
    // "0xab.." and "0xAB.." are different JSON keys but the same account.
    unique(seen, toHex(address), at, 'DUPLICATE_ALLOC', 'address');
    const balance = decimal(alloc[key], at, 'INVALID_BALANCE');
    if (balance > GENESIS_LIMITS.maxBalance) fail('INVALID_BALANCE', at, 'must be below 2^256');
    total += balance;
    if (total > GENESIS_LIMITS.maxBalance)
      fail('INVALID_BALANCE', at, 'brings the total allocation to 2^256 or more');
    return { address, balance };
  });
}

function parseParams(value: unknown): GenesisParams {
  const p = object(value, 'params');
  fields(p, 'params', ['maxBlockTxs', 'maxBlockBytes', 'baseRoundTimeoutMs', 'baseFeePerGas'], []);
  const L = GENESIS_LIMITS;
  const baseFeePerGas = decimal(p.baseFeePerGas, 'params.baseFeePerGas', 'INVALID_PARAM');
  if (baseFeePerGas < L.baseFeePerGas.min || baseFeePerGas > L.baseFeePerGas.max) {
    fail('INVALID_PARAM', 'params.baseFeePerGas', 'must be between 1 and 2^64-1 wei');
  }
  return {
    maxBlockTxs: boundedInt(p.maxBlockTxs, 'params.maxBlockTxs', L.maxBlockTxs),
    maxBlockBytes: boundedInt(p.maxBlockBytes, 'params.maxBlockBytes', L.maxBlockBytes),
    baseRoundTimeoutMs: boundedInt(p.baseRoundTimeoutMs, 'params.baseRoundTimeoutMs', L.baseRoundTimeoutMs),
    baseFeePerGas,
  };
}

// ---------------------------------------------------------------------------------------
// Field helpers

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('MALFORMED_GENESIS', path, path ? 'must be a JSON object' : 'genesis must be a JSON object');
  }
  return value as Json;
}

/** Requires `required` keys and rejects any key outside required + optional. */
function fields(obj: Json, path: string, required: readonly string[], optional: readonly string[]): void {
  const prefix = path ? `${path}.` : '';
  for (const key of required) {
    if (obj[key] === undefined) fail('MISSING_FIELD', `${prefix}${key}`, 'is required');
  }
  for (const key of Object.keys(obj)) {
    if (!required.includes(key) && !optional.includes(key)) {
      fail('UNKNOWN_FIELD', `${prefix}${key}`, 'is not a genesis field (a typo?)');
    }
  }
}

function decimal(value: unknown, path: string, code: GenesisErrorCode): bigint {
  // Decimal strings only: JSON numbers lose precision above 2^53, and hex invites mistakes.
  if (typeof value !== 'string' || !DECIMAL_RE.test(value) || value.length > 80) {
    fail(code, path, 'must be a decimal integer string without leading zeros, e.g. "1000"');
  }
  return BigInt(value);
}

function boundedInt(value: unknown, path: string, bounds: { min: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    fail('INVALID_PARAM', path, `must be an integer between ${bounds.min} and ${bounds.max}`);
  }
  return value;
}

function parseName(value: unknown, path: string, names: Map<string, string>): string {
  if (typeof value !== 'string' || !NAME_RE.test(value)) {
    fail(
      'INVALID_NAME',
      path,
      'must be 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit',
    );
  }
  unique(names, value, path, 'DUPLICATE_NAME', 'name');
  return value;
}

function parseAddressField(value: unknown, path: string): Address {
  if (typeof value !== 'string') fail('INVALID_ADDRESS', path, 'must be a 0x-prefixed address string');
  try {
    return parseAddress(value);
  } catch (err) {
    if (err instanceof LedgerError) fail('INVALID_ADDRESS', path, `is not a valid address: ${err.message}`);
    throw err;
  }
}

function parsePublicKey(value: unknown, path: string): Uint8Array {
  let key: Uint8Array | undefined;
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{66}$/.test(value)) key = fromHex(value, 33);
  if (key === undefined || (key[0] !== 2 && key[0] !== 3)) {
    fail('INVALID_PUBLIC_KEY', path, 'must be a 0x-prefixed 33-byte compressed secp256k1 public key');
  }
  if (!isValidPublicKey(key)) fail('INVALID_PUBLIC_KEY', path, 'is not a point on secp256k1');
  return compressPublicKey(key);
}

function unique(
  seen: Map<string, string>,
  key: string,
  path: string,
  code: GenesisErrorCode,
  what: string,
): void {
  const first = seen.get(key);
  if (first !== undefined) fail(code, path, `repeats the ${what} of ${first}`);
  seen.set(key, path);
}
