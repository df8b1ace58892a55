/**
 * The receipts root through the validator path: LedgerApplication.validatePayload (what the
 * consensus driver calls on each proposal) refuses a block whose receiptsRoot is not its
 * execution's, and the payloads it builds carry the right one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedView, hashHeader, receiptsRoot } from '../../../src/chain/index.js';
import type { Block } from '../../../src/chain/types.js';
import type { Payload } from '../../../src/consensus/index.js';
import { addressOf } from '../../../src/crypto/keys.js';
import type { LedgerApplication } from '../../../src/node/application.js';
import { applicationOn, childBlock, GENESIS, openGenesisStore, VALIDATOR_SECRETS } from '../sync/helpers.js';

async function withApp(body: (app: LedgerApplication, view: ReturnType<typeof committedView>) => void) {
  const t = await openGenesisStore();
  const app = applicationOn(t);
  try {
    body(app, committedView(t.store));
  } finally {
    app.stop();
    await t.close();
  }
}

function validate(app: LedgerApplication, block: Block, parent: Block): boolean | undefined {
  let valid: boolean | undefined;
  app.validatePayload({ block, parent, ancestors: [] }, (v) => {
    valid = v;
  });
  return valid;
}

describe('receiptsRoot on the validator path', () => {
  it('refuses a proposal whose receiptsRoot differs from its execution, accepts the right one', () =>
    withApp((app, view) => {
      const good = childBlock(GENESIS.block.header, view, { txCount: 2 });
      const forged = { ...good.block.header, receiptsRoot: receiptsRoot([]) };
      assert.notDeepEqual(hashHeader(forged), good.id);
      assert.equal(validate(app, { ...good.block, header: forged }, GENESIS.block), false);
      assert.equal(validate(app, good.block, GENESIS.block), true);
      // the cached execution of the right block does not vouch for a copy with another root
      const copy = { ...good.block.header, receiptsRoot: new Uint8Array(32).fill(7) };
      assert.equal(validate(app, { ...good.block, header: copy }, GENESIS.block), false);
    }));

  it('a built payload carries the receipts root of its execution, and a header copying it validates', () =>
    withApp((app, view) => {
      const parent = childBlock(GENESIS.block.header, view, { txCount: 1 });
      const built: Payload[] = [];
      app.buildPayload(
        { round: 2, parentId: parent.id, parent: parent.block, height: 2, ancestors: [] },
        (p) => built.push(p),
      );
      assert.equal(built.length, 1);
      assert.deepEqual(built[0].receiptsRoot, receiptsRoot([]), 'an empty mempool builds an empty block');
      const header = {
        ...parent.block.header,
        height: 2,
        round: 2,
        parentHash: parent.id,
        proposer: addressOf(VALIDATOR_SECRETS[1]),
        timestampMs: built[0].timestampMs,
        txRoot: built[0].txRoot,
        stateRoot: built[0].stateRoot,
        receiptsRoot: built[0].receiptsRoot,
      };
      assert.equal(validate(app, { header, transactions: built[0].transactions }, parent.block), true);
      const wrong = { ...header, receiptsRoot: new Uint8Array(32).fill(1) };
      assert.equal(
        validate(app, { header: wrong, transactions: built[0].transactions }, parent.block),
        false,
      );
    }));
});
