/**
 * The JSON form of the proofs a client checks (docs/FORMATS.md "Client proofs"): bytes as
 * 0x-prefixed hex, amounts and the chain id as decimal strings, heights, rounds, indexes
 * and times as JSON numbers (safe integers). The proof routes serve exactly this form.
 *
 * The parsers are the one validation gate for a node's answer: each failure is a
 * ClientError MALFORMED_PROOF whose message starts with the JSON path, every string and
 * list is bounded before it is read, and unknown fields are refused. A parsed proof is
 * only well formed; verify.ts decides whether it proves anything.
 */
import {
  type BlockHeader,
  decodeAccountProof,
  encodeAccountProof,
  type MerkleProof,
} from '../chain/index.js';
import { toHex } from '../crypto/bytes.js';
import { type Address, parseAddress, toChecksumAddress } from '../crypto/keys.js';
import type { CommitProof } from './commit.js';
import { ClientError, printable } from './errors.js';
import { type AccountState, MAX_BLOCK_LEAVES, type ReceiptClaim, type TxInclusion } from './inclusion.js';
import { type ClientOptions, DEFAULT_CLIENT_OPTIONS } from './options.js';

export interface HeaderJson {
  chainId: string;
  height: number;
  round: number;
  parentHash: string;
  proposer: string;
  timestampMs: number;
  txRoot: string;
  stateRoot: string;
  receiptsRoot: string;
  parentQc: string;
}

export interface CommitProofJson {
  header: HeaderJson;
  chain: HeaderJson[];
  child: HeaderJson;
  childQc: string;
}

export interface TxInclusionJson {
  txHash: string;
  index: number;
  total: number;
  siblings: string[];
}

export interface AccountStateJson {
  address: string;
  exists: boolean;
  balance: string;
  nonce: string;
  /** The account tree proof bytes (src/commitment/proof.ts). */
  proof: string;
}

/**
 * The transaction's receipt and its proof under the receipts root. Its transaction hash,
 * index and leaf count are the inclusion's, so they are not repeated.
 */
export interface ReceiptProofJson {
  from: string;
  to: string;
  /** Always 1: a transfer that would fail is never included. */
  status: 1;
  gasUsed: string;
  effectiveGasPrice: string;
  fee: string;
  siblings: string[];
}

/** What GET /txs/:hash/proof serves: the proof of commit of the block, the inclusion and the receipt. */
export interface TxProofJson {
  commit: CommitProofJson;
  inclusion: TxInclusionJson;
  receipt: ReceiptProofJson;
}

/** What GET /accounts/:address/proof serves: the proof of commit and the account state. */
export interface AccountProofJson {
  commit: CommitProofJson;
  account: AccountStateJson;
}

export interface CommittedTxProof {
  commit: CommitProof;
  inclusion: TxInclusion;
  receipt: ReceiptClaim;
}

export interface CommittedAccountProof {
  commit: CommitProof;
  account: AccountState;
}

/** A QC of 256 validators (the genesis maximum) is about 18 KB. */
const MAX_QC_BYTES = 64 * 1024;
/** An account proof: flags, a leaf, a count, a bitmap and at most 256 siblings. */
const MAX_ACCOUNT_PROOF_BYTES = 1 + 64 + 2 + 32 + 256 * 32;
/** A Merkle path over fewer than 2^53 leaves has fewer than 53 siblings. */
const MAX_MERKLE_SIBLINGS = 64;
const MAX_U64 = (1n << 64n) - 1n;
const MAX_U256 = (1n << 256n) - 1n;
const DECIMAL_RE = /^(0|[1-9][0-9]*)$/;
const HEX_RE = /^0x(?:[0-9a-fA-F]{2})*$/;

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new ClientError('MALFORMED_PROOF', `${path || 'the proof'} ${message}`);
}

function object(value: unknown, path: string, fields: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(path, 'must be a JSON object');
  const obj = value as Json;
  for (const key of Object.keys(obj))
    if (!fields.includes(key)) {
      // the key is the node's text: shown as a plain name only when it is one
      const plain = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(key);
      const shown = plain ? key : `[${JSON.stringify(printable(key, 40))}]`;
      fail(path ? `${path}${plain ? '.' : ''}${shown}` : shown, 'is not a field of this proof');
    }
  for (const key of fields) if (obj[key] === undefined) fail(path ? `${path}.${key}` : key, 'is required');
  return obj;
}

function array(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) fail(path, 'must be a JSON array');
  if (value.length > max) fail(path, `has ${value.length} items; at most ${max}`);
  return value;
}

function hex(value: unknown, path: string, length?: number, maxBytes = 32): Uint8Array {
  const max = length ?? maxBytes;
  if (typeof value !== 'string' || value.length > 2 + 2 * max || !HEX_RE.test(value))
    fail(path, 'must be 0x-prefixed hex with an even number of digits');
  const bytes = new Uint8Array(Buffer.from(value.slice(2), 'hex'));
  if (length !== undefined && bytes.length !== length) fail(path, `must be ${length} bytes`);
  return bytes;
}

function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail(path, 'must be a non-negative safe integer');
  return value;
}

function decimal(value: unknown, path: string, max: bigint): bigint {
  if (typeof value !== 'string' || value.length > 80 || !DECIMAL_RE.test(value))
    fail(path, 'must be a decimal integer string without leading zeros');
  const n = BigInt(value);
  if (n > max) fail(path, `must be at most ${max}`);
  return n;
}

function address(value: unknown, path: string): Address {
  try {
    return parseAddress(value as string);
  } catch (err) {
    fail(path, `is not an address: ${(err as Error).message}`);
  }
}

const HEADER_FIELDS = [
  'chainId',
  'height',
  'round',
  'parentHash',
  'proposer',
  'timestampMs',
  'txRoot',
  'stateRoot',
  'receiptsRoot',
  'parentQc',
] as const;

export function headerToJson(h: BlockHeader): HeaderJson {
  return {
    chainId: h.chainId.toString(),
    height: h.height,
    round: h.round,
    parentHash: toHex(h.parentHash),
    proposer: toChecksumAddress(h.proposer),
    timestampMs: h.timestampMs,
    txRoot: toHex(h.txRoot),
    stateRoot: toHex(h.stateRoot),
    receiptsRoot: toHex(h.receiptsRoot),
    parentQc: toHex(h.parentQc),
  };
}

export function parseHeader(json: unknown, path = 'header'): BlockHeader {
  const o = object(json, path, HEADER_FIELDS);
  return {
    chainId: decimal(o.chainId, `${path}.chainId`, MAX_U64),
    height: count(o.height, `${path}.height`),
    round: count(o.round, `${path}.round`),
    parentHash: hex(o.parentHash, `${path}.parentHash`, 32),
    proposer: address(o.proposer, `${path}.proposer`),
    timestampMs: count(o.timestampMs, `${path}.timestampMs`),
    txRoot: hex(o.txRoot, `${path}.txRoot`, 32),
    stateRoot: hex(o.stateRoot, `${path}.stateRoot`, 32),
    receiptsRoot: hex(o.receiptsRoot, `${path}.receiptsRoot`, 32),
    parentQc: hex(o.parentQc, `${path}.parentQc`, undefined, MAX_QC_BYTES),
  };
}

export function commitProofToJson(p: CommitProof): CommitProofJson {
  return {
    header: headerToJson(p.header),
    chain: p.chain.map(headerToJson),
    child: headerToJson(p.child),
    childQc: toHex(p.childQc),
  };
}

/**
 * Parses a proof of commit. A chain longer than the client checks is refused here, before
 * any of it is read (CHAIN_TOO_LONG, as verifyCommitProof would).
 */
export function parseCommitProof(
  json: unknown,
  path = 'commit',
  options: ClientOptions = DEFAULT_CLIENT_OPTIONS,
): CommitProof {
  const o = object(json, path, ['header', 'chain', 'child', 'childQc']);
  if (Array.isArray(o.chain) && o.chain.length + 1 > options.maxCommitChainHeaders)
    throw new ClientError(
      'CHAIN_TOO_LONG',
      `${path}.chain carries ${o.chain.length + 1} headers up to the committed block; at most ${options.maxCommitChainHeaders}`,
    );
  const chain = array(o.chain, `${path}.chain`, options.maxCommitChainHeaders);
  return {
    header: parseHeader(o.header, `${path}.header`),
    chain: chain.map((h, i) => parseHeader(h, `${path}.chain[${i}]`)),
    child: parseHeader(o.child, `${path}.child`),
    childQc: hex(o.childQc, `${path}.childQc`, undefined, MAX_QC_BYTES),
  };
}

export function txInclusionToJson(t: TxInclusion): TxInclusionJson {
  return {
    txHash: toHex(t.txHash),
    index: t.proof.index,
    total: t.proof.total,
    siblings: t.proof.siblings.map(toHex),
  };
}

export function parseTxInclusion(json: unknown, path = 'inclusion'): TxInclusion {
  const o = object(json, path, ['txHash', 'index', 'total', 'siblings']);
  const proof: MerkleProof = {
    index: count(o.index, `${path}.index`),
    total: count(o.total, `${path}.total`),
    siblings: array(o.siblings, `${path}.siblings`, MAX_MERKLE_SIBLINGS).map((s, i) =>
      hex(s, `${path}.siblings[${i}]`, 32),
    ),
  };
  if (proof.total > MAX_BLOCK_LEAVES) fail(`${path}.total`, `must be at most ${MAX_BLOCK_LEAVES}`);
  if (proof.index >= proof.total) fail(`${path}.index`, 'must be below total');
  return { txHash: hex(o.txHash, `${path}.txHash`, 32), proof };
}

export function accountStateToJson(a: AccountState): AccountStateJson {
  return {
    address: toChecksumAddress(a.address),
    exists: a.account !== null,
    balance: (a.account?.balance ?? 0n).toString(),
    nonce: (a.account?.nonce ?? 0n).toString(),
    proof: toHex(encodeAccountProof(a.proof)),
  };
}

export function parseAccountState(json: unknown, path = 'account'): AccountState {
  const o = object(json, path, ['address', 'exists', 'balance', 'nonce', 'proof']);
  if (typeof o.exists !== 'boolean') fail(`${path}.exists`, 'must be true or false');
  const balance = decimal(o.balance, `${path}.balance`, MAX_U256);
  const nonce = decimal(o.nonce, `${path}.nonce`, MAX_U64);
  // an absent account has nothing: a balance beside exists: false would be shown by mistake
  if (!o.exists && (balance !== 0n || nonce !== 0n))
    fail(path, 'has a balance or nonce but says the account does not exist');
  const proofBytes = hex(o.proof, `${path}.proof`, undefined, MAX_ACCOUNT_PROOF_BYTES);
  let proof: AccountState['proof'];
  try {
    proof = decodeAccountProof(proofBytes);
  } catch (err) {
    fail(`${path}.proof`, `is not an account proof: ${(err as Error).message}`);
  }
  return {
    address: address(o.address, `${path}.address`),
    account: o.exists ? { balance, nonce } : null,
    proof,
  };
}

export function receiptToJson(c: ReceiptClaim): ReceiptProofJson {
  const r = c.receipt;
  return {
    from: toChecksumAddress(r.from),
    to: toChecksumAddress(r.to),
    status: r.status,
    gasUsed: r.gasUsed.toString(),
    effectiveGasPrice: r.effectiveGasPrice.toString(),
    fee: r.fee.toString(),
    siblings: c.proof.siblings.map(toHex),
  };
}

/** The receipt of the transaction `inclusion` names, at its index among `total` leaves. */
export function parseReceipt(json: unknown, inclusion: TxInclusion, path = 'receipt'): ReceiptClaim {
  const o = object(json, path, ['from', 'to', 'status', 'gasUsed', 'effectiveGasPrice', 'fee', 'siblings']);
  // every receipt this chain writes is a success: a failed transfer is never included
  if (o.status !== 1) fail(`${path}.status`, 'must be 1');
  return {
    receipt: {
      txHash: inclusion.txHash,
      from: address(o.from, `${path}.from`),
      to: address(o.to, `${path}.to`),
      status: 1,
      gasUsed: decimal(o.gasUsed, `${path}.gasUsed`, MAX_U64),
      effectiveGasPrice: decimal(o.effectiveGasPrice, `${path}.effectiveGasPrice`, MAX_U256),
      fee: decimal(o.fee, `${path}.fee`, MAX_U256),
    },
    proof: {
      index: inclusion.proof.index,
      total: inclusion.proof.total,
      siblings: array(o.siblings, `${path}.siblings`, MAX_MERKLE_SIBLINGS).map((s, i) =>
        hex(s, `${path}.siblings[${i}]`, 32),
      ),
    },
  };
}

export function txProofToJson(p: CommittedTxProof): TxProofJson {
  return {
    commit: commitProofToJson(p.commit),
    inclusion: txInclusionToJson(p.inclusion),
    receipt: receiptToJson(p.receipt),
  };
}

export function parseTxProof(
  json: unknown,
  options: ClientOptions = DEFAULT_CLIENT_OPTIONS,
): CommittedTxProof {
  const o = object(json, '', ['commit', 'inclusion', 'receipt']);
  const inclusion = parseTxInclusion(o.inclusion);
  return {
    commit: parseCommitProof(o.commit, 'commit', options),
    inclusion,
    receipt: parseReceipt(o.receipt, inclusion),
  };
}

export function accountProofToJson(p: CommittedAccountProof): AccountProofJson {
  return { commit: commitProofToJson(p.commit), account: accountStateToJson(p.account) };
}

export function parseAccountProof(
  json: unknown,
  options: ClientOptions = DEFAULT_CLIENT_OPTIONS,
): CommittedAccountProof {
  const o = object(json, '', ['commit', 'account']);
  return { commit: parseCommitProof(o.commit, 'commit', options), account: parseAccountState(o.account) };
}
