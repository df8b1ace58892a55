import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeBlock, hashHeader } from '../../../src/chain/index.js';
import { toHex } from '../../../src/crypto/bytes.js';
import {
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncItem,
  encodeSyncRequest,
  encodeSyncStatus,
  lastCommittedIndex,
  type SyncBase,
  SyncError,
  type SyncItem,
  verifyRange,
} from '../../../src/sync/index.js';
import { testSecrets } from '../../support/ledger-fixture.js';
import {
  baseOf,
  CTX,
  certifiedItems,
  childBlock,
  openGenesisStore,
  signQc,
  type TestStore,
} from './helpers.js';

function syncError(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof SyncError, `expected a SyncError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

describe('block sync response verification', () => {
  let s: TestStore;
  let base: SyncBase;
  let items: SyncItem[];

  before(async () => {
    s = await openGenesisStore();
    base = baseOf(s.store);
    items = certifiedItems(base.view, 6);
  });
  after(() => s.close());

  it('applies a valid range up to the last block it proves committed', () => {
    const out = verifyRange(base, items, CTX);
    // consecutive rounds: block i is committed by the QC of block i+1; the last has no proof
    assert.equal(out.length, 5);
    assert.deepEqual(
      out.map((v) => v.block.header.height),
      [1, 2, 3, 4, 5],
    );
    for (const [i, v] of out.entries()) {
      assert.equal(toHex(v.id), toHex(hashHeader(items[i].block.header)));
      assert.equal(toHex(v.executed.stateRoot), toHex(items[i].block.header.stateRoot));
      assert.equal(toHex(v.commitQc), toHex(items[i].qc));
    }
  });

  it('applies only ancestors of a 2-chain: a round gap at the tail holds blocks back', () => {
    const gapped = certifiedItems(base.view, 6, new Set([5, 6]));
    // rounds 1 2 3 4 6 8: the last consecutive pair is (3, 4)
    assert.equal(lastCommittedIndex(gapped), 2);
    assert.equal(verifyRange(base, gapped, CTX).length, 3);
    assert.equal(verifyRange(base, gapped.slice(0, 1), CTX).length, 0, 'one block proves nothing');
  });

  it('rejects a QC signed by too few validators', () => {
    const forged = items.slice();
    forged[2] = {
      ...forged[2],
      qc: signQc(forged[2].block.header.round, hashHeader(forged[2].block.header), [0, 1]),
    };
    assert.throws(() => verifyRange(base, forged, CTX), syncError('BAD_QC'));
  });

  it("rejects a QC signed with keys that are not the validators'", () => {
    const strangers = testSecrets(4, 'not-validators');
    const forged = items.slice();
    const h = forged[1].block.header;
    forged[1] = { ...forged[1], qc: signQc(h.round, hashHeader(h), [0, 1, 2], strangers) };
    assert.throws(() => verifyRange(base, forged, CTX), syncError('BAD_QC'));
  });

  it('rejects a QC of another block or round, and bytes that are not a QC', () => {
    const other = items.slice();
    other[0] = { ...other[0], qc: items[1].qc };
    assert.throws(() => verifyRange(base, other, CTX), syncError('BAD_QC'));
    const wrongRound = items.slice();
    const h = items[0].block.header;
    wrongRound[0] = { ...items[0], qc: signQc(h.round + 1, hashHeader(h)) };
    assert.throws(() => verifyRange(base, wrongRound, CTX), syncError('BAD_QC'));
    const garbage = items.slice();
    garbage[0] = { ...items[0], qc: new Uint8Array([1, 2, 3]) };
    assert.throws(() => verifyRange(base, garbage, CTX), syncError('BAD_QC'));
  });

  it('rejects a block that does not extend the local head, even with a valid QC', () => {
    // a certified height-3 block on a sibling of block 2 (a certified fork)
    const sibling = childBlock(items[0].block.header, base.view, { roundStep: 5 });
    const onFork = childBlock(sibling.block.header, base.view);
    const forged = { block: onFork.block, qc: signQc(onFork.block.header.round, onFork.id) };
    assert.throws(() => verifyRange(base, [items[0], items[1], forged], CTX), syncError('WRONG_PARENT'));
    assert.throws(() => verifyRange(base, items.slice(1), CTX), syncError('WRONG_PARENT'), 'skips height 1');
  });

  it('rejects a certified block whose state root is not what its transactions give', () => {
    const bad = items.slice();
    const h = { ...items[1].block.header, stateRoot: new Uint8Array(32).fill(7) };
    const block = { ...items[1].block, header: h };
    const id = hashHeader(h);
    bad[1] = { block, qc: signQc(h.round, id) };
    // the next block must link to the forged one for the range to reach execution
    const next = { ...items[2].block.header, parentHash: id };
    bad[2] = { block: { ...items[2].block, header: next }, qc: signQc(next.round, hashHeader(next)) };
    assert.throws(
      () => verifyRange(base, bad.slice(0, 3), CTX),
      (err) => syncError('BAD_STATE_ROOT')(err) && (err as SyncError).height === 2,
    );
  });

  it('codec: requests are bounded, responses must be the requested heights', () => {
    assert.deepEqual(decodeSyncRequest(encodeSyncRequest({ fromHeight: 5, count: 32 })), {
      fromHeight: 5,
      count: 32,
    });
    assert.throws(
      () => decodeSyncRequest(encodeSyncRequest({ fromHeight: 5, count: 33 })),
      syncError('MALFORMED'),
    );
    assert.throws(
      () => decodeSyncRequest(encodeSyncRequest({ fromHeight: 0, count: 1 })),
      syncError('MALFORMED'),
    );
    const frames = [
      encodeSyncStatus(9),
      ...items.slice(0, 3).map((i) => encodeSyncItem(encodeBlock(i.block), i.qc)),
    ];
    const resp = decodeSyncResponse(frames, { fromHeight: 1, count: 3 });
    assert.equal(resp.headHeight, 9);
    assert.equal(resp.items.length, 3);
    assert.throws(() => decodeSyncResponse(frames, { fromHeight: 2, count: 3 }), syncError('WRONG_RANGE'));
    assert.throws(() => decodeSyncResponse(frames, { fromHeight: 1, count: 2 }), syncError('WRONG_RANGE'));
    assert.throws(
      () => decodeSyncResponse([frames[0], new Uint8Array([0xc0])], { fromHeight: 1, count: 1 }),
      syncError('MALFORMED'),
    );
  });
});
