/** The node's BlockApplication: payload requests on certified blocks it has not executed yet. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedView } from '../../../src/chain/index.js';
import { decodeQc, type Payload } from '../../../src/consensus/index.js';
import type { LedgerApplication } from '../../../src/node/application.js';
import {
  applicationOn,
  childBlock,
  GENESIS,
  openGenesisStore,
  signQc,
  type TestStore,
} from '../sync/helpers.js';

/** Blocks 1..3 on genesis by other validators, each with a transfer. */
function chain(t: TestStore) {
  const b1 = childBlock(GENESIS.block.header, committedView(t.store), { txCount: 1 });
  const b2 = childBlock(b1.block.header, b1.view, { txCount: 1 });
  const b3 = childBlock(b2.block.header, b2.view, { txCount: 1 });
  return [b1, b2, b3];
}

/** Runs `body` with a fresh application on a genesis store, stopping and cleaning up after. */
async function withApp(body: (t: TestStore, app: LedgerApplication) => void | Promise<void>): Promise<void> {
  const t = await openGenesisStore();
  const app = applicationOn(t);
  try {
    await body(t, app);
  } finally {
    app.stop();
    await t.close();
  }
}

describe('LedgerApplication payload requests', () => {
  it('executes a certified parent whose own parent it knows, and builds at once', () =>
    withApp(async (t, app) => {
      // The QC of block 1 and block 1 itself (a fetch answer) reached this leader before
      // any request to validate block 1.
      const [b1] = chain(t);
      const built: Payload[] = [];
      app.buildPayload({ round: 2, parentId: b1.id, parent: b1.block, height: 2, ancestors: [] }, (p) =>
        built.push(p),
      );
      assert.equal(built.length, 1);
      assert.deepEqual(built[0].parentId, b1.id);
      let valid: boolean | undefined;
      app.validatePayload({ block: b1.block, parent: GENESIS.block, ancestors: [] }, (v) => {
        valid = v;
      });
      assert.equal(valid, true, 'the block executed for the payload still validates');
      assert.equal(built.length, 1);
    }));

  it('waits when the parent is two blocks ahead, and builds once the gap is executed', () =>
    withApp(async (t, app) => {
      const [b1, b2] = chain(t);
      const built: Payload[] = [];
      app.buildPayload({ round: 3, parentId: b2.id, parent: b2.block, height: 3, ancestors: [] }, (p) =>
        built.push(p),
      );
      assert.equal(built.length, 0, 'block 1 is unknown here: nothing to build on yet');
      app.validatePayload({ block: b1.block, parent: GENESIS.block, ancestors: [] }, () => {});
      assert.equal(built.length, 1, 'built once block 1 executed (block 2 then executes too)');
      assert.deepEqual(built[0].parentId, b2.id);
    }));

  it('builds only the newest waiting request, and none after stop', () =>
    withApp(async (t, app) => {
      const [b1, b2, b3] = chain(t);
      const rounds: number[] = [];
      for (const round of [3, 4])
        app.buildPayload({ round, parentId: b2.id, parent: b2.block, height: 3, ancestors: [] }, () =>
          rounds.push(round),
        );
      app.validatePayload({ block: b1.block, parent: GENESIS.block, ancestors: [] }, () => {});
      assert.deepEqual(rounds, [4], 'only the newest waiting request is built');

      app.buildPayload({ round: 5, parentId: b3.id, parent: b3.block, height: 4, ancestors: [] }, () =>
        rounds.push(5),
      );
      assert.deepEqual(rounds, [4, 5], 'block 2 is known now: block 3 executes at once');
      const other = applicationOn(t);
      other.buildPayload({ round: 6, parentId: b3.id, parent: b3.block, height: 4, ancestors: [] }, () =>
        rounds.push(6),
      );
      other.stop();
      other.validatePayload({ block: b1.block, parent: GENESIS.block, ancestors: [] }, () => {});
      other.validatePayload({ block: b2.block, parent: b1.block, ancestors: [] }, () => {});
      assert.deepEqual(rounds, [4, 5], 'a stopped application builds nothing');
    }));

  it('after a restart (only the committed tip known) validates a child of two certified blocks given its lineage', () =>
    withApp(async (t, app) => {
      // the seed the composed simulator found (mixed, seed 17): a restarted validator got
      // proposals on height 3 whose parent and grandparent it had never executed
      const [b1, b2, b3] = chain(t);
      const link = (b: typeof b1) => ({ id: b.id, block: b.block });
      const verdicts: boolean[] = [];
      app.validatePayload({ block: b3.block, parent: b2.block, ancestors: [] }, (v) => verdicts.push(v));
      assert.deepEqual(verdicts, [false], 'without its lineage the parent cannot be executed');
      app.validatePayload({ block: b3.block, parent: b2.block, ancestors: [link(b1)] }, (v) =>
        verdicts.push(v),
      );
      assert.deepEqual(verdicts, [false, true], 'with it, blocks 1 and 2 execute and then block 3');
      const b4 = childBlock(b3.block.header, b3.view, { txCount: 1 });
      app.validatePayload({ block: b4.block, parent: b3.block, ancestors: [link(b1), link(b2)] }, (v) =>
        verdicts.push(v),
      );
      assert.deepEqual(verdicts, [false, true, true], 'executed links are reused, not run again');
    }));

  it('builds at once on a certified parent whose lineage it is given, and refuses a lineage off the committed tip', () =>
    withApp(async (t, app) => {
      const [b1, b2, b3] = chain(t);
      const built: Payload[] = [];
      const request = { round: 4, parentId: b3.id, parent: b3.block, height: 4 };
      app.buildPayload({ ...request, ancestors: [{ id: b2.id, block: b2.block }] }, (p) => built.push(p));
      assert.equal(built.length, 0, 'block 2 does not extend the committed tip: nothing to build on');
      app.buildPayload(
        {
          ...request,
          ancestors: [
            { id: b1.id, block: b1.block },
            { id: b2.id, block: b2.block },
          ],
        },
        (p) => built.push(p),
      );
      assert.equal(built.length, 1);
      assert.deepEqual(built[0].parentId, b3.id);
    }));

  it('a commit can complete the wait, and a request whose height is committed is dropped', () =>
    withApp(async (t, app) => {
      const [b1, b2, b3] = chain(t);
      const qcOf = (b: (typeof b1)[]) => decodeQc(signQc(b.at(-1)!.block.header.round, b.at(-1)!.id));
      const rounds: number[] = [];
      app.buildPayload({ round: 3, parentId: b2.id, parent: b2.block, height: 3, ancestors: [] }, () =>
        rounds.push(3),
      );
      app.commit([{ id: b1.id, block: b1.block }], qcOf([b1]));
      assert.deepEqual(rounds, [3], 'block 1 committed: block 2 executes on it and the payload is built');

      app.buildPayload({ round: 4, parentId: b3.id, parent: b3.block, height: 4, ancestors: [] }, () =>
        rounds.push(4),
      );
      assert.deepEqual(rounds, [3, 4]);
      // waiting on a block two ahead again, then that height is committed by others
      const b4 = childBlock(b3.block.header, b3.view, { txCount: 1 });
      const b5 = childBlock(b4.block.header, b4.view, { txCount: 1 });
      app.buildPayload({ round: 6, parentId: b5.id, parent: b5.block, height: 6, ancestors: [] }, () =>
        rounds.push(6),
      );
      const rest = [b2, b3, b4, b5, childBlock(b5.block.header, b5.view, { txCount: 1 })];
      app.commit(
        rest.map((b) => ({ id: b.id, block: b.block })),
        qcOf(rest),
      );
      assert.deepEqual(rounds, [3, 4], 'height 6 is committed: the waiting request is dropped');
      await app.drained();
      assert.equal(t.store.head().height, 6);
    }));
});
