import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Account,
  AccountState,
  applyBlock,
  decodeAccount,
  encodeAccount,
  type StateParams,
  StateTransitionError,
} from '../../../src/state/index.js';
import { GWEI, TEST_CHAIN_ID, testAddress, unsignedTransfer } from '../../support/transfers.js';

const params: StateParams = { chainId: TEST_CHAIN_ID, baseFeePerGas: GWEI };
const alice = testAddress(1);
const bob = testAddress(2);
const proposer = testAddress(99);
const ETH = 10n ** 18n;

function genesisState(): AccountState {
  return AccountState.fromEntries([
    [alice, { balance: 10n * ETH, nonce: 0n }],
    [bob, { balance: 1n * ETH, nonce: 0n }],
  ]);
}

describe('applyBlock', () => {
  it('moves value, burns the base fee and pays the tip to the proposer', () => {
    const tx = unsignedTransfer({
      from: alice,
      to: bob,
      nonce: 0n,
      value: ETH,
      maxFeePerGas: 3n * GWEI,
      maxPriorityFeePerGas: 3n * GWEI, // capped by maxFee - baseFee = 2 gwei
    });
    const { state, receipts, burned } = applyBlock(genesisState(), { proposer, transactions: [tx] }, params);
    assert.equal(receipts[0].effectiveGasPrice, 3n * GWEI);
    assert.equal(receipts[0].fee, 21_000n * 3n * GWEI);
    assert.equal(burned, 21_000n * GWEI);
    assert.deepEqual(state.getAccount(alice), { balance: 9n * ETH - 21_000n * 3n * GWEI, nonce: 1n });
    assert.deepEqual(state.getAccount(bob), { balance: 2n * ETH, nonce: 0n });
    assert.deepEqual(state.getAccount(proposer), { balance: 21_000n * 2n * GWEI, nonce: 0n });
  });

  it('leaves the input state untouched (pure)', () => {
    const before = genesisState();
    applyBlock(
      before,
      { proposer, transactions: [unsignedTransfer({ from: alice, to: bob, nonce: 0n, value: 1n })] },
      params,
    );
    assert.deepEqual(before.getAccount(alice), { balance: 10n * ETH, nonce: 0n });
  });

  it('handles a self-transfer: only the fee leaves the account', () => {
    const tx = unsignedTransfer({ from: alice, to: alice, nonce: 0n, value: ETH, maxPriorityFeePerGas: 0n });
    const { state } = applyBlock(genesisState(), { proposer, transactions: [tx] }, params);
    assert.deepEqual(state.getAccount(alice), { balance: 10n * ETH - 21_000n * GWEI, nonce: 1n });
  });

  const invalid: Array<[string, Parameters<typeof unsignedTransfer>[0]]> = [
    ['NONCE_MISMATCH', { from: alice, to: bob, nonce: 1n, value: 1n }],
    ['INTRINSIC_GAS_TOO_LOW', { from: alice, to: bob, nonce: 0n, value: 1n, gasLimit: 20_999n }],
    ['FEE_BELOW_BASE_FEE', { from: alice, to: bob, nonce: 0n, value: 1n, maxFeePerGas: GWEI - 1n }],
    [
      'PRIORITY_FEE_ABOVE_MAX_FEE',
      {
        from: alice,
        to: bob,
        nonce: 0n,
        value: 1n,
        maxFeePerGas: 2n * GWEI,
        maxPriorityFeePerGas: 3n * GWEI,
      },
    ],
    ['INSUFFICIENT_FUNDS', { from: bob, to: alice, nonce: 0n, value: ETH }],
    ['WRONG_CHAIN_ID', { from: alice, to: bob, nonce: 0n, value: 1n, chainId: 1n }],
  ];
  for (const [code, fields] of invalid) {
    it(`rejects the whole block on ${code}, naming the transaction`, () => {
      const good = unsignedTransfer({ from: alice, to: bob, nonce: 0n, value: 1n });
      const bad = unsignedTransfer(fields.from === alice ? { ...fields, nonce: fields.nonce + 1n } : fields);
      assert.throws(
        () => applyBlock(genesisState(), { proposer, transactions: [good, bad] }, params),
        (e: unknown) => e instanceof StateTransitionError && e.code === code && e.txIndex === 1,
      );
    });
  }

  it('encodes accounts canonically in 40 bytes', () => {
    const account: Account = { balance: (1n << 256n) - 1n, nonce: (1n << 64n) - 1n };
    assert.deepEqual(decodeAccount(encodeAccount(account)), account);
    assert.throws(() => encodeAccount({ balance: 1n << 256n, nonce: 0n }), { code: 'INTEGER_TOO_LARGE' });
    assert.throws(() => decodeAccount(new Uint8Array(39)), { code: 'INVALID_ACCOUNT' });
  });
});

/** Random workload: accounts 0..5, transfers whose nonces are right for the sender. */
const workload = fc.array(
  fc.array(
    fc.record({
      from: fc.integer({ min: 0, max: 5 }),
      to: fc.integer({ min: 0, max: 6 }),
      value: fc.bigInt({ min: 0n, max: 3n * ETH }),
      tip: fc.bigInt({ min: 0n, max: 4n * GWEI }),
      maxFee: fc.bigInt({ min: GWEI, max: 5n * GWEI }),
      proposer: fc.integer({ min: 0, max: 7 }),
    }),
    { maxLength: 8 },
  ),
  { maxLength: 6 },
);

function accounts(): Array<[Uint8Array, Account]> {
  return [0, 1, 2, 3, 4, 5].map((i) => [testAddress(i), { balance: (BigInt(i) + 1n) * 2n * ETH, nonce: 0n }]);
}

/** Runs the workload block by block, skipping blocks the state machine rejects. */
type Workload = typeof workload extends fc.Arbitrary<infer T> ? T : never;

function run(blocks: Workload) {
  let state = AccountState.fromEntries(accounts());
  const nonces = new Map<number, bigint>();
  const trace: Array<{ before: AccountState; after: AccountState; burned: bigint }> = [];
  for (const block of blocks) {
    const pending = new Map(nonces);
    const transactions = block.map((t) => {
      const nonce = pending.get(t.from) ?? 0n;
      pending.set(t.from, nonce + 1n);
      return unsignedTransfer({
        from: testAddress(t.from),
        to: testAddress(t.to),
        nonce,
        value: t.value,
        maxFeePerGas: t.maxFee,
        maxPriorityFeePerGas: t.tip < t.maxFee ? t.tip : t.maxFee,
      });
    });
    try {
      const out = applyBlock(state, { proposer: testAddress(block[0]?.proposer ?? 7), transactions }, params);
      trace.push({ before: state, after: out.state, burned: out.burned });
      state = out.state;
      for (const [k, v] of pending) nonces.set(k, v);
    } catch (e) {
      assert.ok(e instanceof StateTransitionError, `unexpected ${e}`);
    }
  }
  return { state, trace };
}

const ALL = [0, 1, 2, 3, 4, 5, 6, 7].map(testAddress);
const supply = (s: AccountState) => ALL.reduce((sum, a) => sum + (s.getAccount(a)?.balance ?? 0n), 0n);

describe('state machine properties', () => {
  it('total supply changes only by burned fees', () => {
    fc.assert(
      fc.property(workload, (blocks) => {
        for (const step of run(blocks).trace)
          assert.equal(supply(step.after), supply(step.before) - step.burned);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('nonces strictly increase by one per transaction sent', () => {
    fc.assert(
      fc.property(workload, (blocks) => {
        for (const step of run(blocks).trace) {
          for (const a of ALL) {
            const before = step.before.getAccount(a)?.nonce ?? 0n;
            const after = step.after.getAccount(a)?.nonce ?? 0n;
            assert.ok(after >= before);
          }
          for (const change of step.after.ownChanges().values()) {
            const before = step.before.getAccount(change.address)?.nonce ?? 0n;
            assert.ok(change.account.nonce === before || change.account.nonce > before);
          }
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('applying the same blocks from genesis twice gives the same accounts', () => {
    fc.assert(
      fc.property(workload, (blocks) => {
        const a = run(blocks).state;
        const b = run(blocks).state;
        for (const addr of ALL) assert.deepEqual(a.getAccount(addr), b.getAccount(addr));
      }),
      { seed: 1, numRuns: 100 },
    );
  });
});
