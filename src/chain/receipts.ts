/**
 * The receipts root (docs/FORMATS.md): the RFC 6962 Merkle tree of merkle.ts over each
 * receipt's canonical bytes, in block order, so a client proves a receipt against a
 * committed header instead of trusting a node's account of it.
 *
 *   receipt = txHash(32) || from(20) || to(20) || status(1) || gasUsed(u64 BE)
 *             || effectiveGasPrice(u256 BE) || fee(u256 BE)            145 bytes
 *
 * Fixed width rather than RLP: one encoding per receipt with no length rules to get wrong
 * in another client, written straight into one buffer per block. The leaves are the bytes
 * themselves (leaf = sha256(0x00 || receipt)), not their hashes: the leaf hash already
 * hashes them, and a second hash per receipt would buy nothing.
 */
import { readUintBE, writeUintBE } from '../crypto/bytes.js';
import type { Receipt } from '../state/types.js';
import { ChainError } from './errors.js';
import { type MerkleProof, merkleProof, merkleRoot, verifyMerkleProof } from './merkle.js';

export const RECEIPT_ENCODING_BYTES = 145;

function writeReceipt(out: Uint8Array, view: DataView, at: number, r: Receipt): void {
  out.set(r.txHash, at);
  out.set(r.from, at + 32);
  out.set(r.to, at + 52);
  out[at + 72] = r.status;
  view.setBigUint64(at + 73, r.gasUsed);
  writeUintBE(view, at + 81, r.effectiveGasPrice, 4);
  writeUintBE(view, at + 113, r.fee, 4);
}

/** The canonical bytes of one receipt (the leaf of the receipts root). */
export function encodeReceipt(receipt: Receipt): Uint8Array {
  const out = new Uint8Array(RECEIPT_ENCODING_BYTES);
  writeReceipt(out, new DataView(out.buffer), 0, receipt);
  return out;
}

export function decodeReceipt(bytes: Uint8Array): Receipt {
  if (bytes.length !== RECEIPT_ENCODING_BYTES)
    throw new ChainError(
      'MALFORMED_BLOCK',
      `a receipt is ${RECEIPT_ENCODING_BYTES} bytes, got ${bytes.length}`,
    );
  if (bytes[72] !== 1) throw new ChainError('MALFORMED_BLOCK', 'a receipt has status 1');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    txHash: bytes.slice(0, 32),
    from: bytes.slice(32, 52),
    to: bytes.slice(52, 72),
    status: 1,
    gasUsed: view.getBigUint64(73),
    effectiveGasPrice: readUintBE(view, 81, 4),
    fee: readUintBE(view, 113, 4),
  };
}

/** Every receipt's canonical bytes, as views of one buffer. */
function encodeAll(receipts: readonly Receipt[]): Uint8Array[] {
  const out = new Uint8Array(receipts.length * RECEIPT_ENCODING_BYTES);
  const view = new DataView(out.buffer);
  const items: Uint8Array[] = new Array(receipts.length);
  for (let i = 0; i < receipts.length; i++) {
    const at = i * RECEIPT_ENCODING_BYTES;
    writeReceipt(out, view, at, receipts[i]);
    items[i] = out.subarray(at, at + RECEIPT_ENCODING_BYTES);
  }
  return items;
}

/** The header's receiptsRoot for a block's receipts (EMPTY_MERKLE_ROOT for none). */
export function receiptsRoot(receipts: readonly Receipt[]): Uint8Array {
  return merkleRoot(encodeAll(receipts));
}

/** Inclusion proof of receipt `index` under the block's receiptsRoot. */
export function receiptProof(receipts: readonly Receipt[], index: number): MerkleProof {
  return merkleProof(encodeAll(receipts), index);
}

/** True when `proof` shows `receipt` at `index` under `root`; false for any mismatch. */
export function verifyReceiptProof(
  root: Uint8Array,
  receipt: Receipt,
  index: number,
  proof: MerkleProof,
): boolean {
  if (proof.index !== index) return false;
  let bytes: Uint8Array;
  try {
    bytes = encodeReceipt(receipt);
  } catch {
    return false; // an amount that does not fit is no receipt of this chain
  }
  return verifyMerkleProof(root, bytes, proof);
}
