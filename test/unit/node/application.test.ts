/** The node's BlockApplication: payload building when the parent's QC outruns the parent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedView, hashHeader } from '../../../src/chain/index.js';
import type { Payload } from '../../../src/consensus/index.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { Mempool } from '../../../src/mempool/index.js';
import { LedgerApplication } from '../../../src/node/application.js';
import { PARAMS } from '../../support/ledger-fixture.js';
import { childBlock, GENESIS, openGenesisStore, SENDERS, VALIDATOR_SECRETS } from '../sync/helpers.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('LedgerApplication', () => {
  it('builds on a certified parent it has not executed yet once that parent is validated', async () => {
    const t = await openGenesisStore();
    try {
      let app: LedgerApplication | undefined;
      const mempool = new Mempool({
        accounts: { getAccount: (a) => app!.committedAccounts.getAccount(a) },
        params: PARAMS,
        blockLimits: { maxBlockTxs: 100, maxBlockBytes: 1 << 20 },
      });
      app = new LedgerApplication({
        store: t.store,
        mempool,
        params: PARAMS,
        limits: { chainId: PARAMS.chainId, maxBlockTxs: 100, maxBlockBytes: 1 << 20 },
        proposer: addressOf(VALIDATOR_SECRETS[1]),
        headerReserveBytes: 1024,
        maxClockSkewMs: Number.MAX_SAFE_INTEGER,
        now: () => GENESIS.block.header.timestampMs + 5000,
        logger: quiet as never,
        onFatal: (err) => assert.fail(err),
      });
      // Block 1, proposed by another validator, with a transfer from SENDERS[0].
      const parent = childBlock(GENESIS.block.header, committedView(t.store), { txCount: 1 });
      // A pending transfer that can only follow block 1's (nonce 1).
      const next = parent.view.state.getAccount(addressOf(SENDERS[0]))?.nonce;
      assert.equal(next, 1n);

      // The QC of block 1 reached this leader before block 1 did: the core asks for a
      // payload on it first and for its validation right after (one step of the core).
      const built: Payload[] = [];
      app.buildPayload({ round: 2, parentId: parent.id, parent: parent.block, height: 2 }, (p) =>
        built.push(p),
      );
      assert.equal(built.length, 0, 'no payload before the parent is executed');
      let valid: boolean | undefined;
      app.validatePayload(parent.block, GENESIS.block, (v) => {
        valid = v;
      });
      assert.equal(valid, true);
      assert.equal(built.length, 1, 'the waiting request is built once the parent is executed');
      assert.deepEqual(built[0].parentId, parent.id);
      assert.deepEqual(hashHeader(parent.block.header), parent.id);

      // A request superseded by a newer one is not built as well.
      const grand = childBlock(parent.block.header, parent.view, { txCount: 1 });
      const rounds: number[] = [];
      for (const round of [3, 4])
        app.buildPayload({ round, parentId: grand.id, parent: grand.block, height: 3 }, () =>
          rounds.push(round),
        );
      app.validatePayload(grand.block, parent.block, () => {});
      assert.deepEqual(rounds, [4], 'only the newest waiting request is built');
      app.stop();
    } finally {
      await t.close();
    }
  });
});
