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
import { decodeHeader, encodeHeader, MAX_DECODED_BLOCK_TXS } from '../chain/codec.js';
import type { BlockHeader } from '../chain/types.js';
import { decodeTc, encodeTc, type Proposal, type TimeoutCertificate } from '../consensus/index.js';
import { equalBytes } from '../crypto/bytes.js';
import { decodeRlp, RlpDecodeError } from '../crypto/rlp.js';
import { reject } from './errors.js';

export const DIRECT_KIND = { vote: 1, blockRequest: 2, blockResponse: 3, proposal: 4, timeout: 5 } as const;
export type DirectKind = keyof typeof DIRECT_KIND;

const KIND_BY_CODE = new Map<number, DirectKind>(
  Object.entries(DIRECT_KIND).map(([k, v]) => [v, k as DirectKind]),
);

export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  return RLP.encode(txs as Uint8Array[]);
}

/**
 * The batch's transactions; throws a REJECT GateError on anything but the one encoding.
 * More than `maxTxs` items are refused before any is decoded (the gate's BAD_BATCH check
 * of the count comes after; without this bound a batch of one-byte items would cost a
 * Uint8Array per byte first). The default is the most any encoding of its size can hold.
 */
export function decodeTxBatch(data: Uint8Array, maxTxs = data.length): Uint8Array[] {
  let decoded: unknown;
  try {
    decoded = decodeRlp(data, { maxDepth: 1, maxItems: 1 + maxTxs });
  } catch (e) {
    if (e instanceof RlpDecodeError && e.bound === 'items')
      throw reject('BAD_BATCH', `a batch of more than ${maxTxs} transactions`);
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

/**
 * The one encoding of a compact proposal; throws a REJECT GateError on anything else.
 * `maxTxs` bounds the hashes decoded at all (see decodeTxBatch); the gate checks the
 * count against the chain's limit.
 */
export function decodeCompactProposal(data: Uint8Array, maxTxs = MAX_DECODED_BLOCK_TXS): CompactProposal {
  let decoded: unknown;
  try {
    // [header, [hash, ...], signature, tc]: the hashes list is the one nested list
    decoded = decodeRlp(data, { maxDepth: 2, maxItems: 6 + maxTxs });
  } catch (e) {
    if (e instanceof RlpDecodeError && e.bound === 'items')
      throw reject('OVERSIZE', `a proposal of more than ${maxTxs} transactions`);
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

/** A whole direct frame, u32be(1 + body length) || kind || body, in one copy of `body`. */
export function frameDirect(kind: DirectKind, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  new DataView(out.buffer).setUint32(0, 1 + body.length);
  out[4] = DIRECT_KIND[kind];
  out.set(body, 5);
  return out;
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
 * (at most `maxFrameBytes`). A frame above the bound throws a REJECT GateError before its
 * body is buffered.
 *
 * Each byte is copied once, into the body of the frame it belongs to, as it arrives: a peer
 * dripping a large frame a few bytes at a time costs work in proportion to its bytes, not
 * to their square, and the reader keeps no reference to the chunks (a million one-byte
 * chunks held until their frame completes are a hundred times their bytes in heap). The
 * body grows by doubling as its bytes arrive, so a prefix that announces a large frame
 * costs no memory the peer has not sent.
 */
/** The first allocation of a frame's body; it doubles as the body arrives. */
const INITIAL_BODY_BYTES = 64 * 1024;

export class FrameReader {
  private readonly prefix = new Uint8Array(4);
  private prefixFilled = 0;
  /** The body of the frame being read (allocated as its bytes arrive), and its length. */
  private body: Uint8Array | undefined;
  private bodyBytes = 0;
  private bodyFilled = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** True while a frame has started but is not complete. */
  get partial(): boolean {
    return this.prefixFilled > 0 || this.body !== undefined;
  }

  /** Appends a chunk and returns the frames it completes. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.body === undefined) {
        const part = Math.min(4 - this.prefixFilled, chunk.length - at);
        this.prefix.set(chunk.subarray(at, at + part), this.prefixFilled);
        this.prefixFilled += part;
        at += part;
        if (this.prefixFilled < 4) break;
        this.prefixFilled = 0;
        const length = new DataView(this.prefix.buffer).getUint32(0);
        if (length > this.maxFrameBytes) throw reject('OVERSIZE', `direct frame of ${length} bytes`);
        this.bodyBytes = length;
        this.bodyFilled = 0;
        this.body = new Uint8Array(Math.min(length, INITIAL_BODY_BYTES));
      }
      const part = Math.min(this.bodyBytes - this.bodyFilled, chunk.length - at);
      this.reserve(this.bodyFilled + part);
      this.body.set(chunk.subarray(at, at + part), this.bodyFilled);
      this.bodyFilled += part;
      at += part;
      if (this.bodyFilled === this.bodyBytes) {
        // the body never grows past the frame's length, so it is exactly the frame
        frames.push(this.body);
        this.body = undefined;
      }
    }
    return frames;
  }

  /** Grows the body (doubling, never past the frame's length) to hold `bytes`. */
  private reserve(bytes: number): void {
    const body = this.body!;
    if (bytes <= body.length) return;
    let size = body.length;
    while (size < bytes) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.bodyBytes));
    grown.set(body.subarray(0, this.bodyFilled));
    this.body = grown;
  }
}
