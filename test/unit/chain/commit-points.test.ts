/** commitProofPoints: what proves each block of a committed run, from the run alone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BlockHeader, commitProofPoints } from '../../../src/chain/index.js';

/** Headers at heights 1.. with the given rounds (only heights and rounds matter here). */
function run(rounds: number[]): BlockHeader[] {
  return rounds.map((round, i) => ({ height: i + 1, round }) as BlockHeader);
}
const qcs = (n: number) => Array.from({ length: n }, (_, i) => new Uint8Array([i]));

describe('commitProofPoints', () => {
  it('each block is proven by the nearest 2-chain at or above it', () => {
    // rounds 1 2 | 4 | 7 8: blocks 1 and 4 are 2-chains in the run; 2 and 3 reach 4
    const headers = run([1, 2, 4, 7, 8]);
    const points = commitProofPoints(headers, qcs(5), undefined, 64);
    assert.deepEqual(points[0], { chain: [], child: headers[1], childQc: new Uint8Array([1]) });
    assert.deepEqual(points[1], {
      chain: [headers[2], headers[3]],
      child: headers[4],
      childQc: new Uint8Array([4]),
    });
    assert.deepEqual(points[2], { chain: [headers[3]], child: headers[4], childQc: new Uint8Array([4]) });
    assert.deepEqual(points[3], { chain: [], child: headers[4], childQc: new Uint8Array([4]) });
    assert.equal(points[4], undefined, 'the last block has no child without a tail');
  });

  it('the tail proves the last block only when one round later', () => {
    const headers = run([3, 5]);
    const child = { height: 3, round: 6 } as BlockHeader;
    const points = commitProofPoints(headers, qcs(2), { child, childQc: new Uint8Array([9]) }, 64);
    assert.deepEqual(points[1], { chain: [], child, childQc: new Uint8Array([9]) });
    assert.deepEqual(points[0]?.chain, [headers[1]]);
    const late = { height: 3, round: 7 } as BlockHeader;
    assert.deepEqual(commitProofPoints(headers, qcs(2), { child: late, childQc: new Uint8Array() }, 64), [
      undefined,
      undefined,
    ]);
  });

  it('leaves out points that need more than maxHeaders headers', () => {
    const headers = run([1, 3, 5, 7, 8]);
    const points = commitProofPoints(headers, qcs(5), undefined, 3);
    assert.equal(points[3]?.chain.length, 0);
    assert.equal(points[2]?.chain.length, 1);
    assert.equal(points[1]?.chain.length, 2, 'three headers: the block, 3 and 4');
    assert.equal(points[0], undefined, 'four headers would be needed');
  });
});
