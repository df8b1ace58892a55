/**
 * Proof points of a committed run (docs/PROTOCOL.md "Commit", docs/FORMATS.md "Proofs of
 * commit"): for each block of a hash-linked run of committed headers, what proves it
 * committed using only the run itself, so the store can write it in that block's own commit
 * batch, before the blocks above it land.
 *
 * Block i is proven by the nearest block P >= i of the run whose child is one round later
 * (the 2-chain rule): the headers above i up to P (`chain`), P's child and the QC
 * certifying that child. The child of the run's last block is not in the run; `tail` gives
 * it when known (the 2-chain that committed the run). Points needing more than
 * `maxHeaders` headers (the proven block included) are left out.
 */
import type { BlockHeader } from './types.js';

export interface CommitProofPoint {
  /** Headers above the proven block, up to and including the committed block P. */
  chain: BlockHeader[];
  /** P's child, one round after P. */
  child: BlockHeader;
  /** The encoded QC certifying `child`. */
  childQc: Uint8Array;
}

/**
 * `headers` in height order and `qcs[i]` the encoded QC certifying headers[i]; `tail` the
 * last header's child and its QC. Returns one point (or undefined) per header.
 */
export function commitProofPoints(
  headers: readonly BlockHeader[],
  qcs: readonly Uint8Array[],
  tail: { child: BlockHeader; childQc: Uint8Array } | undefined,
  maxHeaders: number,
): Array<CommitProofPoint | undefined> {
  const points: Array<CommitProofPoint | undefined> = new Array(headers.length).fill(undefined);
  for (let i = headers.length - 1; i >= 0; i--) {
    const next = headers[i + 1];
    if (!next) {
      if (tail && tail.child.round === headers[i].round + 1) points[i] = { chain: [], ...tail };
      continue;
    }
    if (next.round === headers[i].round + 1) {
      points[i] = { chain: [], child: next, childQc: qcs[i + 1] };
      continue;
    }
    const above = points[i + 1];
    if (above && above.chain.length + 2 <= maxHeaders)
      points[i] = { chain: [next, ...above.chain], child: above.child, childQc: above.childQc };
  }
  return points;
}
