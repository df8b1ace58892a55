/**
 * Byte formats owned by the network (docs/PROTOCOL.md, "Network"):
 *
 *   transactions topic:  rlp([tx, ...])         raw EIP-1559 transactions, 1..maxTxs
 *   proposal topic:      rlp([header encoding, [tx hash, ...], sig, tc encoding | ""])
 *                        a compact proposal: the transactions by their keccak hashes; the
 *                        receiver takes the bodies from its mempool (assembly.ts)
 *   timeout topic:       timeout encoding
 *   direct frame:        u32be(length) || kind || body
 *     kind 1 vote:           vote encoding
 *     kind 2 blockRequest:   32-byte block id
 *     kind 3 blockResponse:  block encoding      (src/chain/codec.ts)
 *     kind 4 proposal:       proposal encoding   (src/consensus/codec.ts), bodies included
 *     kind 5 timeout:        as on its topic
 */
import { RLP } from '@ethereumjs/rlp';
import { decodeHeader, encodeHeader } from '../chain/codec.js';
import type { BlockHeader } from '../chain/types.js';
import { decodeTc, encodeTc, type Proposal, type TimeoutCertificate } from '../consensus/index.js';
import { equalBytes } from '../crypto/bytes.js';
import { reject } from './errors.js';

export const DIRECT_KIND = { vote: 1, blockRequest: 2, blockResponse: 3, proposal: 4, timeout: 5 } as const;
export type DirectKind = keyof typeof DIRECT_KIND;

const KIND_BY_CODE = new Map<number, DirectKind>(
  Object.entries(DIRECT_KIND).map(([k, v]) => [v, k as DirectKind]),
);

export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  return RLP.encode(txs as Uint8Array[]);
}

/** The batch's transactions; throws a REJECT GateError on anything but the one encoding. */
export function decodeTxBatch(data: Uint8Array): Uint8Array[] {
  let decoded: unknown;
  try {
    decoded = RLP.decode(data);
  } catch {
    throw reject('MALFORMED', 'transaction batch is not RLP');
  }
  if (!Array.isArray(decoded)) throw reject('MALFORMED', 'transaction batch must be a list');
  for (const tx of decoded) {
    if (!(tx instanceof Uint8Array)) throw reject('MALFORMED', 'a batched transaction must be a byte string');
  }
  const txs = decoded as Uint8Array[];
  if (!equalBytes(RLP.encode(txs), data)) throw reject('MALFORMED', 'transaction batch is not canonical');
  return txs;
}

/** A proposal as gossiped: its block's header and the keccak hashes of its transactions. */
export interface CompactProposal {
  header: BlockHeader;
  hashes: Uint8Array[];
  signature: Uint8Array;
  tc?: TimeoutCertificate;
}

const EMPTY = new Uint8Array(0);

/** `hashes`: keccak256 of each of the block's transactions, in block order. */
export function encodeCompactProposal(p: Proposal, hashes: readonly Uint8Array[]): Uint8Array {
  return RLP.encode([
    encodeHeader(p.block.header),
    hashes as Uint8Array[],
    p.signature,
    p.tc ? encodeTc(p.tc) : EMPTY,
  ]);
}

/** The one encoding of a compact proposal; throws a REJECT GateError on anything else. */
export function decodeCompactProposal(data: Uint8Array): CompactProposal {
  let decoded: unknown;
  try {
    decoded = RLP.decode(data);
  } catch {
    throw reject('MALFORMED', 'proposal is not RLP');
  }
  if (!Array.isArray(decoded) || decoded.length !== 4) throw reject('MALFORMED', 'a proposal is a list of 4');
  const [headerBytes, hashes, signature, tcBytes] = decoded as unknown[];
  if (
    !(headerBytes instanceof Uint8Array) ||
    !(signature instanceof Uint8Array) ||
    !(tcBytes instanceof Uint8Array)
  )
    throw reject('MALFORMED', 'proposal fields must be byte strings');
  if (!Array.isArray(hashes) || !hashes.every((h) => h instanceof Uint8Array && h.length === 32))
    throw reject('MALFORMED', 'a proposal lists 32-byte transaction hashes');
  if (signature.length === 0 || signature.length > 96) throw reject('MALFORMED', 'proposal signature length');
  let header: BlockHeader;
  let tc: TimeoutCertificate | undefined;
  try {
    header = decodeHeader(headerBytes);
    tc = tcBytes.length === 0 ? undefined : decodeTc(tcBytes);
  } catch (e) {
    throw reject('MALFORMED', `proposal: ${(e as Error).message}`);
  }
  const p: CompactProposal = { header, hashes: hashes as Uint8Array[], signature };
  if (tc) p.tc = tc;
  if (!equalBytes(RLP.encode([headerBytes, hashes as Uint8Array[], signature, tcBytes]), data))
    throw reject('MALFORMED', 'proposal is not canonical');
  return p;
}

/** One direct message: kind byte || body (the length prefix is added by the stream writer). */
export function encodeDirect(kind: DirectKind, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = DIRECT_KIND[kind];
  out.set(body, 1);
  return out;
}

/** The kind of a direct message, or undefined for an unknown kind byte. */
export function directKindOf(payload: Uint8Array): DirectKind | undefined {
  return payload.length > 0 ? KIND_BY_CODE.get(payload[0]) : undefined;
}

/** u32be length prefix. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

/**
 * Splits a byte stream into length-prefixed frames without buffering more than one frame
 * (at most `maxFrameBytes` + a chunk). A frame above the bound throws a REJECT GateError
 * before its body is buffered.
 */
export class FrameReader {
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxFrameBytes: number) {}

  /** Appends a chunk and returns the frames it completes. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.buffer = this.buffer.length === 0 ? chunk : concat(this.buffer, chunk);
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.buffer.length < 4) break;
      const length = new DataView(this.buffer.buffer, this.buffer.byteOffset, 4).getUint32(0);
      if (length > this.maxFrameBytes) throw reject('OVERSIZE', `direct frame of ${length} bytes`);
      if (this.buffer.length < 4 + length) break;
      frames.push(this.buffer.slice(4, 4 + length));
      this.buffer = this.buffer.subarray(4 + length);
    }
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
