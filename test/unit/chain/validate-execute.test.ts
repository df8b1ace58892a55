import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Block,
  type BlockLimits,
  encodeBlock,
  executeBlock,
  hashHeader,
  type LedgerView,
  merkleRoot,
  validateBlockAgainstParent,
} from '../../../src/chain/index.js';
import { MemoryTreeStore } from '../../../src/commitment/index.js';
import { equalBytes } from '../../../src/crypto/bytes.js';
import { keccak256 } from '../../../src/crypto/hash.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { AccountState } from '../../../src/state/index.js';
import type { VerifiedTransfer } from '../../../src/tx/index.js';
import {
  CHAIN_ID,
  fixtureGenesis,
  PARAMS,
  testSecrets,
  verifiedTransfer,
} from '../../support/ledger-fixture.js';

const limits: BlockLimits = { chainId: CHAIN_ID, maxBlockTxs: 4, maxBlockBytes: 2048 };
const secrets = testSecrets(8, 'validate');
const genesis = fixtureGenesis(secrets);

function transfer(from: number, nonce: bigint, to: number, value: bigint): VerifiedTransfer {
  return verifiedTransfer(secrets[from], nonce, addressOf(secrets[to]), value);
}

function child(transactions: Uint8Array[], overrides: Partial<Block['header']> = {}): Block {
  const parent = genesis.block.header;
  return {
    header: {
      ...parent,
      height: 1,
      round: 1,
      parentHash: hashHeader(parent),
      proposer: addressOf(secrets[0]),
      timestampMs: parent.timestampMs + 1,
      txRoot: merkleRoot(transactions.map(keccak256)),
      ...overrides,
    },
    transactions,
  };
}

describe('validateBlockAgainstParent', () => {
  const parent = genesis.block.header;
  const raws = [transfer(0, 0n, 1, 1n), transfer(1, 0n, 2, 1n)].map((t) => t.raw);
  const five = [0, 1, 2, 3, 4].map((s) => transfer(s, 0n, 7, 1n).raw);

  it('accepts a well-formed child and returns its tx hashes', () => {
    const hashes = validateBlockAgainstParent(child(raws), parent, limits);
    assert.deepEqual(hashes, raws.map(keccak256));
  });

  const cases: Array<[string, Block]> = [
    ['WRONG_CHAIN_ID', child(raws, { chainId: 1n })],
    ['WRONG_HEIGHT', child(raws, { height: 2 })],
    ['WRONG_PARENT', child(raws, { parentHash: new Uint8Array(32) })],
    ['ROUND_NOT_INCREASING', child(raws, { round: 0 })],
    ['TIMESTAMP_BEFORE_PARENT', child(raws, { timestampMs: parent.timestampMs - 1 })],
    ['TOO_MANY_TXS', child(five)],
    ['BLOCK_TOO_LARGE', child([new Uint8Array(2100)])],
    ['DUPLICATE_TX', child([raws[0], raws[0]])],
    ['BAD_TX_ROOT', child(raws, { txRoot: new Uint8Array(32) })],
  ];
  for (const [code, block] of cases) {
    it(`rejects ${code}`, () => {
      assert.throws(() => validateBlockAgainstParent(block, parent, limits), { code });
    });
  }

  it('measures the limit on the canonical encoding', () => {
    const block = child(raws);
    const size = encodeBlock(block).length;
    assert.doesNotThrow(() => validateBlockAgainstParent(block, parent, { ...limits, maxBlockBytes: size }));
    assert.throws(() => validateBlockAgainstParent(block, parent, { ...limits, maxBlockBytes: size - 1 }), {
      code: 'BLOCK_TOO_LARGE',
    });
  });
});

function genesisView(): LedgerView {
  const tree = new MemoryTreeStore();
  tree.apply(genesis.treeUpdate);
  return { state: AccountState.fromEntries(genesis.accountChanges.map((c) => [c.address, c.account])), tree };
}

/** Executes blocks from genesis, committing each tree update; returns every state root. */
function replay(blocks: VerifiedTransfer[][]): Uint8Array[] {
  const view = genesisView();
  const tree = view.tree as MemoryTreeStore;
  let state = view.state;
  return blocks.map((transactions, i) => {
    const executed = executeBlock(
      { state, tree },
      { proposer: addressOf(secrets[i % 8]), transactions },
      PARAMS,
    );
    tree.apply(executed.treeUpdate);
    state = executed.state;
    return executed.stateRoot;
  });
}

describe('executeBlock', () => {
  // Transfers signed once up front; the property picks which go into which block.
  const pool = Array.from({ length: 8 }, (_, s) =>
    Array.from({ length: 6 }, (_, n) => transfer(s, BigInt(n), (s + n + 1) % 8, BigInt(1000 * (n + 1)))),
  );

  it('applying the same blocks from genesis twice gives the same state roots (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 6 }), { maxLength: 5 }),
        (plan) => {
          const next = new Array<number>(8).fill(0);
          const blocks = plan.map((senders) =>
            senders.filter((s) => next[s] < 6).map((s) => pool[s][next[s]++]),
          );
          const first = replay(blocks);
          const second = replay(blocks);
          assert.equal(first.length, second.length);
          first.forEach((root, i) => {
            assert.ok(equalBytes(root, second[i]), `root of block ${i}`);
          });
          // A non-empty block changes the root.
          blocks.forEach((b, i) => {
            if (b.length > 0) {
              const before = i === 0 ? genesis.block.header.stateRoot : first[i - 1];
              assert.ok(!equalBytes(before, first[i]), `block ${i} changes the root`);
            }
          });
        },
      ),
      { seed: 11, numRuns: 60 },
    );
  });

  it('a speculative overlay gives the same root as committing step by step', () => {
    const blocks = [[pool[0][0], pool[1][0]], [pool[0][1]], [pool[2][0], pool[3][0]]];
    let view = genesisView();
    const roots: Uint8Array[] = [];
    blocks.forEach((transactions, i) => {
      const executed = executeBlock(view, { proposer: addressOf(secrets[i % 8]), transactions }, PARAMS);
      roots.push(executed.stateRoot);
      view = executed; // never committed: each block sees its parent only through overlays
    });
    const committed = replay(blocks);
    roots.forEach((r, i) => {
      assert.ok(equalBytes(r, committed[i]), `root ${i}`);
    });
  });
});
