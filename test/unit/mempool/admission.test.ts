import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nobleBackend } from '../../../src/crypto/verifier.js';
import { LedgerError } from '../../../src/errors.js';
import { MempoolError, type MempoolErrorCode } from '../../../src/mempool/index.js';
import {
  decodeTransfer,
  encodeTransfer,
  MAX_TX_BYTES,
  recoverSender,
  signingHashOf,
  type TransferFields,
  TxError,
} from '../../../src/tx/index.js';
import {
  address,
  CHAIN_ID,
  countingBackend,
  DEFAULT_MAX_COST,
  ETH,
  funded,
  GWEI,
  pool,
  raw,
  stateOf,
  transfer,
} from './helpers.js';

function rejects(fn: () => unknown, code: MempoolErrorCode, invalid?: boolean): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MempoolError, `expected a MempoolError, got ${e}`);
    assert.ok(e instanceof LedgerError);
    assert.equal(e.code, code);
    if (invalid !== undefined) assert.equal(e.invalid, invalid, `invalid flag of ${code}`);
    return true;
  });
}

/** A well-formed transfer whose r is not the x of any curve point: no sender can be recovered. */
function unrecoverable(): Uint8Array {
  const fields: TransferFields = {
    chainId: CHAIN_ID,
    nonce: 0n,
    maxPriorityFeePerGas: GWEI,
    maxFeePerGas: 3n * GWEI,
    gasLimit: 21_000n,
    to: address(1000),
    value: 1n,
  };
  const noble = nobleBackend();
  const digest = signingHashOf(fields);
  for (let r = 1n; ; r++) {
    if (noble.recoverPublicKey(digest, { r, s: 1n, yParity: 0 }) === null)
      return encodeTransfer(fields, { r, s: 1n, yParity: 0 });
  }
}

describe('Mempool.add: admission', () => {
  it('admits a valid transfer with its recovered sender, and exposes it by hash and by raw bytes', () => {
    const mempool = pool(funded(1));
    const tx = transfer(1);
    const result = mempool.add(tx.raw);
    assert.equal(result.kind, 'added');
    assert.deepEqual(result.tx.from, address(1));
    assert.deepEqual(mempool.get(tx.hash)?.from, address(1));
    assert.equal(mempool.get(`0x${Buffer.from(tx.hash).toString('hex').toUpperCase()}`)?.nonce, 0n);
    assert.equal(mempool.lookupVerified(tx.raw), result.tx);
    assert.equal(mempool.lookupVerified(raw(1, { nonce: 1n })), undefined);
    assert.equal(mempool.size(), 1);
    assert.equal(mempool.bytes(), tx.raw.length);
    assert.equal(mempool.metrics().admitted, 1);
  });

  it('refuses what the decoder refuses, passing the TxError code through as invalid', () => {
    const mempool = pool(funded(1));
    const wrongType = raw(1).slice();
    wrongType[0] = 0x01;
    rejects(() => mempool.add(wrongType), 'WRONG_TX_TYPE', true);
    rejects(() => mempool.add(raw(1, { chainId: 1n })), 'WRONG_CHAIN_ID', true);
    rejects(() => mempool.add(new Uint8Array(MAX_TX_BYTES + 1).fill(2)), 'OVERSIZE', true);
    rejects(() => mempool.add(Uint8Array.of(2, 0xc0, 0x00)), 'TRAILING_BYTES', true);
    // The decoder's error travels as the cause, for logs.
    assert.throws(
      () => mempool.add(wrongType),
      (e: unknown) => e instanceof MempoolError && e.cause instanceof TxError,
    );
    assert.equal(mempool.size(), 0);
  });

  it('refuses a signature from which no sender can be recovered (BAD_SIGNATURE)', () => {
    rejects(() => pool(funded(1)).add(unrecoverable()), 'BAD_SIGNATURE', true);
  });

  it('refuses a transaction already pending or recently committed (ALREADY_KNOWN)', () => {
    const accounts = funded(1);
    const mempool = pool(accounts);
    const tx = transfer(1);
    mempool.add(tx.raw);
    rejects(() => mempool.add(tx.raw), 'ALREADY_KNOWN', false);
    mempool.onCommit([mempool.get(tx.hash)!], stateOf([[1, { balance: ETH, nonce: 1n }]]));
    assert.equal(mempool.size(), 0);
    // Known as committed, before the nonce check would say NONCE_TOO_LOW.
    rejects(() => mempool.add(tx.raw), 'ALREADY_KNOWN', false);
  });

  it('forgets committed hashes beyond maxRecentCommitted (oldest first)', () => {
    const mempool = pool(funded(1), { maxRecentCommitted: 1 });
    const a = mempool.add(raw(1, { nonce: 0n })).tx;
    const b = mempool.add(raw(1, { nonce: 1n })).tx;
    mempool.onCommit([a], stateOf([[1, { balance: ETH, nonce: 1n }]]));
    mempool.onCommit([b], stateOf([[1, { balance: ETH, nonce: 2n }]]));
    rejects(() => mempool.add(b.raw), 'ALREADY_KNOWN');
    rejects(() => mempool.add(a.raw), 'NONCE_TOO_LOW');
  });

  it('enforces the nonce window [account nonce, account nonce + maxNonceAhead)', () => {
    const mempool = pool(stateOf([[1, { balance: ETH, nonce: 5n }]]), { maxNonceAhead: 4 });
    rejects(() => mempool.add(raw(1, { nonce: 4n })), 'NONCE_TOO_LOW', false);
    rejects(() => mempool.add(raw(1, { nonce: 9n })), 'NONCE_TOO_HIGH', false);
    assert.equal(mempool.add(raw(1, { nonce: 8n })).kind, 'added');
    assert.equal(mempool.add(raw(1, { nonce: 5n })).kind, 'added');
  });

  it('applies the fee and gas rules of src/state', () => {
    const mempool = pool(funded(1));
    rejects(
      () => mempool.add(raw(1, { maxFeePerGas: GWEI - 1n, maxPriorityFeePerGas: 0n })),
      'FEE_TOO_LOW',
      true,
    );
    rejects(() => mempool.add(raw(1, { gasLimit: 20_999n })), 'INTRINSIC_GAS_TOO_LOW', true);
    rejects(
      () => mempool.add(raw(1, { maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: 3n * GWEI })),
      'PRIORITY_FEE_ABOVE_MAX_FEE',
      true,
    );
    // A permanent defect is reported before a nonce problem, so a relaying peer is blamed.
    rejects(() => mempool.add(raw(1, { nonce: 99n, gasLimit: 20_999n })), 'INTRINSIC_GAS_TOO_LOW', true);
    // Exactly at the base fee is fine.
    assert.equal(mempool.add(raw(1, { maxFeePerGas: GWEI, maxPriorityFeePerGas: 0n })).kind, 'added');
  });

  it('requires the balance to cover value + gasLimit x maxFeePerGas of all queued txs (INSUFFICIENT_FUNDS)', () => {
    const mempool = pool(stateOf([[1, { balance: 2n * DEFAULT_MAX_COST, nonce: 0n }]]));
    rejects(() => mempool.add(raw(1, { value: 2n * DEFAULT_MAX_COST })), 'INSUFFICIENT_FUNDS', false);
    mempool.add(raw(1, { nonce: 0n }));
    mempool.add(raw(1, { nonce: 1n }));
    // Each alone is affordable; the third is not, whatever its nonce.
    rejects(() => mempool.add(raw(1, { nonce: 2n })), 'INSUFFICIENT_FUNDS', false);
    rejects(() => mempool.add(raw(1, { nonce: 3n })), 'INSUFFICIENT_FUNDS', false);
    // A replacement counts instead of its predecessor, not on top of it.
    rejects(
      () => mempool.add(raw(1, { nonce: 1n, maxFeePerGas: 4n * GWEI, maxPriorityFeePerGas: 2n * GWEI })),
      'INSUFFICIENT_FUNDS',
    );
  });

  it('counts rejections by code', () => {
    const mempool = pool(funded(1));
    mempool.add(raw(1));
    assert.throws(() => mempool.add(raw(1)));
    assert.throws(() => mempool.add(raw(1)));
    assert.throws(() => mempool.add(raw(1, { gasLimit: 1n })));
    assert.deepEqual(mempool.metrics().rejected, { ALREADY_KNOWN: 2, INTRINSIC_GAS_TOO_LOW: 1 });
  });

  it('counts a refusal once whether the caller decodes first (decode + addDecoded) or not (add)', () => {
    const mempool = pool(funded(1));
    rejects(() => mempool.add(Uint8Array.of(2, 0xc0)), 'WRONG_FIELD_COUNT', true);
    rejects(() => mempool.decode(Uint8Array.of(1, 2, 3)), 'WRONG_TX_TYPE', true);
    const tx = raw(1);
    assert.equal(mempool.addDecoded(mempool.decode(tx)).kind, 'added');
    rejects(() => mempool.addDecoded(mempool.decode(tx)), 'ALREADY_KNOWN', false);
    assert.deepEqual(mempool.metrics().rejected, {
      WRONG_FIELD_COUNT: 1,
      WRONG_TX_TYPE: 1,
      ALREADY_KNOWN: 1,
    });
    assert.equal(mempool.metrics().admitted, 1);
  });
});

describe('Mempool: replacement', () => {
  const base = { nonce: 0n, maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: 10n * GWEI };

  it('refuses a 9% bump and accepts a 10% bump of both fee caps', () => {
    const mempool = pool(funded(1));
    const first = mempool.add(raw(1, base)).tx;
    rejects(
      () =>
        mempool.add(
          raw(1, { nonce: 0n, maxFeePerGas: 109n * GWEI, maxPriorityFeePerGas: (109n * GWEI) / 10n }),
        ),
      'REPLACEMENT_UNDERPRICED',
      false,
    );
    const next = transfer(1, { nonce: 0n, maxFeePerGas: 110n * GWEI, maxPriorityFeePerGas: 11n * GWEI });
    const result = mempool.add(next.raw);
    assert.equal(result.kind, 'replaced');
    assert.equal(result.kind === 'replaced' && result.replaced, first);
    assert.equal(mempool.get(first.hash), undefined);
    assert.deepEqual(mempool.get(next.hash)?.hash, next.hash);
    assert.equal(mempool.size(), 1);
    assert.equal(mempool.bytes(), next.raw.length);
    assert.equal(mempool.metrics().replaced, 1);
  });

  it('requires both caps to rise: a bump of only maxFeePerGas or only the tip is underpriced', () => {
    const mempool = pool(funded(1));
    mempool.add(raw(1, base));
    rejects(
      () => mempool.add(raw(1, { nonce: 0n, maxFeePerGas: 200n * GWEI, maxPriorityFeePerGas: 10n * GWEI })),
      'REPLACEMENT_UNDERPRICED',
    );
    rejects(
      () => mempool.add(raw(1, { nonce: 0n, maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: 20n * GWEI })),
      'REPLACEMENT_UNDERPRICED',
    );
  });

  it("lets a replacement in when the pool is full (it takes its predecessor's slot)", () => {
    const mempool = pool(funded(2), { maxTxs: 1 });
    mempool.add(raw(1, base));
    rejects(() => mempool.add(raw(2)), 'MEMPOOL_FULL', false);
    assert.equal(
      mempool.add(raw(1, { nonce: 0n, maxFeePerGas: 110n * GWEI, maxPriorityFeePerGas: 11n * GWEI })).kind,
      'replaced',
    );
  });
});

describe('Mempool: bounds', () => {
  it('bounds the total count (MEMPOOL_FULL)', () => {
    const mempool = pool(funded(4), { maxTxs: 3 });
    for (let i = 1; i <= 3; i++) mempool.add(raw(i));
    rejects(() => mempool.add(raw(4)), 'MEMPOOL_FULL', false);
    assert.equal(mempool.size(), 3);
  });

  it('bounds the total bytes (MEMPOOL_FULL)', () => {
    const size = raw(1).length;
    const mempool = pool(funded(3), { maxBytes: 2 * size + 1 });
    mempool.add(raw(1));
    mempool.add(raw(2));
    rejects(() => mempool.add(raw(3)), 'MEMPOOL_FULL');
    assert.ok(mempool.bytes() <= 2 * size + 1);
  });

  it('bounds the count per sender (SENDER_FULL) while others still get in', () => {
    const mempool = pool(funded(2), { maxPerSender: 2, maxNonceAhead: 10 });
    mempool.add(raw(1, { nonce: 0n }));
    mempool.add(raw(1, { nonce: 5n }));
    rejects(() => mempool.add(raw(1, { nonce: 1n })), 'SENDER_FULL', false);
    assert.equal(mempool.add(raw(2)).kind, 'added');
  });

  it('bounds the bytes per sender (SENDER_FULL)', () => {
    const size = raw(1).length;
    const mempool = pool(funded(2), { maxBytesPerSender: size + 10 });
    mempool.add(raw(1, { nonce: 0n }));
    rejects(() => mempool.add(raw(1, { nonce: 1n })), 'SENDER_FULL');
    assert.equal(mempool.add(raw(2)).kind, 'added');
  });

  it('rejects invalid bounds at construction', () => {
    assert.throws(() => pool(funded(1), { maxTxs: 0 }), /maxTxs/);
    assert.throws(() => pool(funded(1), { maxPerSender: 1.5 }), /maxPerSender/);
  });
});

describe('Mempool: the signature is checked once per admitted transaction', () => {
  it('recovers each sender once, never for duplicates, selection or block lookups', () => {
    const backend = countingBackend();
    const mempool = pool(funded(3), {}, backend);
    const txs = [transfer(1), transfer(1, { nonce: 1n }), transfer(2), transfer(3)];
    for (const tx of txs) mempool.add(tx.raw);
    assert.equal(backend.calls, txs.length);
    for (const tx of txs) assert.throws(() => mempool.add(tx.raw), /ALREADY_KNOWN|pending/);
    const block = mempool.selectForBlock();
    assert.equal(block.length, 4);
    // A validator resolving the proposal's raw transactions reuses the admitted form.
    for (const tx of block) assert.equal(mempool.lookupVerified(tx.raw), tx);
    mempool.selectForBlock();
    assert.equal(backend.calls, txs.length);
    assert.equal(mempool.metrics().recoveries, txs.length);
  });

  it('a sender recovered for a proposal is not recovered again when its gossip batch arrives', () => {
    const backend = countingBackend();
    const mempool = pool(funded(2), {}, backend);
    const early = transfer(1);
    // a validator executes a proposal holding a tx it has not received by gossip yet
    const fromProposal = mempool.recover(decodeTransfer(early.raw, CHAIN_ID));
    assert.deepEqual(fromProposal.from, address(1));
    assert.equal(backend.calls, 1);
    assert.deepEqual(mempool.recover(decodeTransfer(early.raw, CHAIN_ID)).from, address(1));
    assert.equal(mempool.add(early.raw).kind, 'added');
    assert.equal(backend.calls, 1, 'the batch reuses the sender recovered for the proposal');
    assert.equal(mempool.metrics().recoveries, 1);
    // a forged signature still fails, and is not remembered as a sender
    const forged = transfer(2, { nonce: 0n });
    const bad = { ...decodeTransfer(forged.raw, CHAIN_ID), r: 0n };
    assert.throws(() => mempool.recover(bad), /BAD_SIGNATURE|recovered/);
  });

  it('addVerified admits a transaction verified elsewhere without recovering it again', () => {
    const backend = countingBackend();
    const mempool = pool(funded(1), {}, backend);
    const verified = recoverSender(transfer(1));
    assert.equal(mempool.addVerified(verified).kind, 'added');
    assert.equal(backend.calls, 0);
    rejects(() => mempool.addVerified(verified), 'ALREADY_KNOWN');
    rejects(
      () => mempool.addVerified(recoverSender(transfer(1, { nonce: 1n, gasLimit: 1n }))),
      'INTRINSIC_GAS_TOO_LOW',
    );
    rejects(() => mempool.addVerified(recoverSender(transfer(1, { chainId: 7n }))), 'WRONG_CHAIN_ID');
    assert.equal(backend.calls, 0);
  });
});

describe('bounds of what the mempool remembers', () => {
  it('remembers at most maxRecoveredSenders senders, dropping the oldest first', () => {
    const backend = countingBackend();
    const mempool = pool(funded(4), { maxRecoveredSenders: 2 }, backend);
    const [a, b, c] = [1, 2, 3].map((i) => decodeTransfer(transfer(i).raw, CHAIN_ID));
    for (const tx of [a, b, c]) mempool.recover(tx);
    assert.equal(backend.calls, 3);
    mempool.recover(c);
    mempool.recover(b);
    assert.equal(backend.calls, 3, 'the two newest are remembered');
    mempool.recover(a);
    assert.equal(backend.calls, 4, 'the oldest was dropped and is recovered again');
    assert.equal(mempool.metrics().recoveries, 4);
  });
});
