/**
 * An observer listed in genesis, started from genesis after four validator processes
 * have committed 500 blocks, syncs to the head by block sync (verifying every block's QC
 * against the genesis validator set) and then follows the chain; it holds the same blocks
 * as the validators. Short round timeouts in this genesis keep the 500 blocks quick.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashHeader } from '../../src/chain/index.js';
import { toHex } from '../../src/crypto/bytes.js';
import { genesisBlockOf } from '../../src/node/index.js';
import { LedgerStore } from '../../src/store/index.js';
import {
  createTestNet,
  getJson,
  killNode,
  type NodeProcess,
  spawnObserver,
  spawnValidators,
  type TestNet,
  tailOf,
  waitUntil,
} from './helpers.js';

const HEAD_BEFORE_OBSERVER = 500;
/** Blocks the observer must follow after it has caught up. */
const FOLLOW_BLOCKS = 20;

describe('an observer that starts late', { timeout: 300_000 }, () => {
  let net: TestNet;
  let validators: NodeProcess[] = [];
  let observer: NodeProcess | undefined;

  const status = async (node: NodeProcess) => (await getJson(`${node.apiUrl}/api/v1/status`)).body;

  before(async () => {
    net = await createTestNet(4, 1, { baseRoundTimeoutMs: 200 }, { observers: 1 });
    validators = await spawnValidators(net);
  });

  after(async () => {
    for (const node of [...validators, ...(observer ? [observer] : [])]) await killNode(node);
    await rm(net.dir, { recursive: true, force: true });
  });

  it(`syncs ${HEAD_BEFORE_OBSERVER} blocks from genesis to the head and follows it`, async () => {
    await waitUntil(
      `the validators to commit ${HEAD_BEFORE_OBSERVER} blocks\n${tailOf(validators[0])}`,
      async () => ((await status(validators[0])).height! >= HEAD_BEFORE_OBSERVER ? true : undefined),
      180_000,
      250,
    );
    observer = await spawnObserver(net, 0, validators);
    const obs = observer;
    const headAtStart = (await status(validators[0])).height!;
    const caughtUp = await waitUntil(
      `the observer to reach height ${headAtStart}\n${tailOf(obs)}`,
      async () => {
        const s = await status(obs);
        return s.height! >= headAtStart ? s : undefined;
      },
      90_000,
      200,
    );
    assert.equal(caughtUp.role, 'observer');
    assert.equal(caughtUp.round, 0, 'an observer runs no consensus round');
    // it follows: keeps within a few blocks of the validators as the chain grows
    await waitUntil(
      `the observer to follow ${FOLLOW_BLOCKS} more blocks\n${tailOf(obs)}`,
      async () => {
        const [v, o] = await Promise.all([status(validators[0]), status(obs)]);
        return o.height! >= caughtUp.height! + FOLLOW_BLOCKS && v.height! - o.height! <= 4 ? true : undefined;
      },
      60_000,
      200,
    );

    // same blocks: after a clean stop, the observer's chain is a prefix of the validators'
    for (const node of [...validators, obs]) node.child.kill('SIGTERM');
    for (const node of [...validators, obs]) {
      assert.deepEqual(
        await node.exit,
        { code: 0, signal: null },
        `node ${node.index} exit\n${tailOf(node)}`,
      );
    }
    const genesisHash = genesisBlockOf(net.genesis).hash;
    const mine = LedgerStore.open(join(net.dir, 'observer-0', 'chain'), genesisHash);
    const theirs = LedgerStore.open(join(net.dir, 'data-0', 'chain'), genesisHash);
    try {
      const top = mine.head().height;
      assert.ok(top >= HEAD_BEFORE_OBSERVER + FOLLOW_BLOCKS, `observer head ${top}`);
      assert.ok(theirs.head().height >= top, 'a validator is behind the observer');
      for (let h = 1; h <= top; h++) {
        assert.equal(
          toHex(hashHeader(mine.getBlock(h)!.header)),
          toHex(hashHeader(theirs.getBlock(h)!.header)),
          `block ${h}`,
        );
        assert.ok(mine.getCommitQc(h), `the observer holds the commit QC of block ${h}`);
      }
    } finally {
      await Promise.all([mine.close(), theirs.close()]);
    }
  });
});
