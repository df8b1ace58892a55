/**
 * Sending against in-process nodes: the nonce comes from the node's pending nonce, funds
 * are checked against the verified balance before anything is sent, a refusal carries the
 * node's reason, a node that forgets the transaction gets the same signed bytes again (the
 * next node when it cannot take them), and a commit that does not come in time is a
 * COMMIT_TIMEOUT naming the hash. Time is injected: no test sleeps.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { Wallet, WalletError, type WalletErrorCode } from '../../../src/wallet/index.js';
import { SENDERS, STRANGER_SECRETS } from '../client/helpers.js';
import { BLOCKS, CHAIN, fakeNodePool, type Handler, HEAD, honest, txProofJson } from './fake-node.js';

const pool = fakeNodePool();
after(() => pool.closeAll());
const node = (handler: Handler) => pool.start(handler);

/** A wallet on a fake clock: each pause moves the clock on instead of waiting. */
function walletOn(urls: string[]): { wallet: Wallet; pauses: number[] } {
  let now = 0;
  const pauses: number[] = [];
  const wallet = new Wallet(
    urls,
    CHAIN,
    { requestTimeoutMs: 1000, commitTimeoutMs: 10_000 },
    {
      nowMs: () => now,
      sleep: async (ms) => {
        pauses.push(ms);
        now += ms;
      },
    },
  );
  return { wallet, pauses };
}

function walletError(code: WalletErrorCode): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof WalletError, `expected a WalletError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

const ALICE = SENDERS[0];
const BOB = addressOf(SENDERS[1]);

describe('wallet send', () => {
  it("signs with the node's pending nonce and the genesis fees, after a verified funds check", async () => {
    const inner = honest();
    const posted: unknown[] = [];
    const n = await node((method, path, query, body) => {
      if (method === 'POST') posted.push(body);
      if (path.toLowerCase() === `/api/v1/accounts/${toHex(addressOf(ALICE))}`)
        return {
          status: 200,
          body: { ...(inner(method, path, query, body) as { body: object }).body, pendingNonce: '7' },
        };
      return inner(method, path, query, body);
    });
    const { wallet } = walletOn([n.url]);
    const { signed, submitted, final } = await wallet.send(ALICE, { to: BOB, value: 5n }, { wait: false });
    assert.equal(final, undefined);
    assert.equal(signed.nonce, 7n);
    assert.equal(signed.chainId, CHAIN.genesis.chainId);
    assert.equal(signed.maxFeePerGas, 2n * CHAIN.genesis.params.baseFeePerGas + 1_000_000_000n);
    assert.equal(submitted.hash, toHex(signed.hash));
    assert.deepEqual(posted, [toHex(signed.raw)]);
  });

  it('refuses before sending when the verified balance does not cover value and max fee', async () => {
    const n = await node(honest());
    const { wallet } = walletOn([n.url]);
    const poor = STRANGER_SECRETS[0];
    await assert.rejects(wallet.send(poor, { to: BOB, value: 1n }), walletError('INSUFFICIENT_FUNDS'));
    const rich = BLOCKS[HEAD].view.state.getAccount(addressOf(ALICE))?.balance ?? 0n;
    await assert.rejects(wallet.send(ALICE, { to: BOB, value: rich }), walletError('INSUFFICIENT_FUNDS'));
    assert.ok(!n.requests.some((r) => r.startsWith('POST')), 'nothing was submitted');
  });

  it("reports a refusal with the node's typed reason", async () => {
    const inner = honest();
    const n = await node((method, path, query, body) =>
      method === 'POST'
        ? { status: 409, body: { error: 'NONCE_TOO_LOW', message: 'nonce 0 is below the committed 3' } }
        : inner(method, path, query, body),
    );
    await assert.rejects(walletOn([n.url]).wallet.send(ALICE, { to: BOB, value: 1n, nonce: 0n }), (err) => {
      walletError('TX_REJECTED')(err);
      assert.equal((err as WalletError).details.reason, 'NONCE_TOO_LOW');
      return true;
    });
  });

  it('resubmits the same signed bytes when the node forgets, to the next node if need be', async () => {
    // a committed transfer of the chain, as if this wallet had just signed it
    const signed = BLOCKS[4].transfers[0];
    const hash = toHex(signed.hash);
    const raw = toHex(signed.raw);
    const inner = honest();
    // node A forgot the transaction and cannot take it again (503 without a reason)
    const a = await node((method, path, query, body) => {
      if (path === `/api/v1/txs/${hash}`) return { status: 200, body: { hash, status: 'unknown' } };
      if (method === 'POST') return { status: 503, body: { oops: true } };
      return inner(method, path, query, body);
    });
    // node B forgot it too, takes it again, has it pending for two polls, then committed
    const resubmitted: unknown[] = [];
    let polls = 0;
    const b = await node((method, path, query, body) => {
      if (method === 'POST') {
        resubmitted.push(body);
        return { status: 202, body: { hash } };
      }
      if (path === `/api/v1/txs/${hash}`) {
        if (resubmitted.length === 0) return { status: 200, body: { hash, status: 'unknown' } };
        polls++;
        if (polls <= 2) return { status: 200, body: { hash, status: 'pending' } };
      }
      return inner(method, path, query, body);
    });
    const { wallet, pauses } = walletOn([a.url, b.url]);
    const final = await wallet.waitForCommit(signed);
    assert.deepEqual(resubmitted, [raw], 'B got exactly the signed bytes, once');
    assert.equal(final.resubmissions, 1);
    assert.equal(final.node, b.url);
    assert.equal(final.commit.height, 4);
    assert.deepEqual(final.signed, { value: signed.value, nonce: signed.nonce });
    assert.ok(txProofJson(hash));
    // the pause between polls grows and stays bounded
    assert.ok(pauses.every((p, i) => i === 0 || p >= pauses[i - 1]));
    assert.ok(Math.max(...pauses) <= wallet.options.pollMaxMs);
  });

  it('believes a refused resubmission only when it persists', async () => {
    const signed = BLOCKS[4].transfers[0];
    const hash = toHex(signed.hash);
    const inner = honest();
    const refusal = {
      status: 409,
      body: { error: 'NONCE_TOO_LOW', message: 'nonce 0 is below the committed 1' },
    };
    // between the commit and its index: unknown and refused once, then committed
    let asked = 0;
    const catchingUp = await node((method, path, query, body) => {
      if (method === 'POST') return refusal;
      if (path === `/api/v1/txs/${hash}` && asked++ === 0)
        return { status: 200, body: { hash, status: 'unknown' } };
      return inner(method, path, query, body);
    });
    const final = await walletOn([catchingUp.url]).wallet.waitForCommit(signed);
    assert.equal(final.commit.height, 4);
    // replaced by another transaction of the same nonce: refused every time
    const replaced = await node((method, path) =>
      method === 'POST' ? refusal : { status: 200, body: { hash, status: 'unknown', path } },
    );
    await assert.rejects(walletOn([replaced.url]).wallet.waitForCommit(signed), (err) => {
      walletError('TX_REJECTED')(err);
      assert.equal((err as WalletError).details.reason, 'NONCE_TOO_LOW');
      return true;
    });
    assert.equal(replaced.requests.filter((r) => r.startsWith('POST')).length, 3);
  });

  it('times out naming the hash when the commit does not come', async () => {
    const signed = BLOCKS[4].transfers[0];
    const hash = toHex(signed.hash);
    const n = await node(() => ({ status: 200, body: { hash, status: 'pending' } }));
    const { wallet, pauses } = walletOn([n.url]);
    await assert.rejects(wallet.waitForCommit(signed, 5000), (err) => {
      walletError('COMMIT_TIMEOUT')(err);
      assert.match((err as Error).message, new RegExp(`${hash}.*may still commit`));
      return true;
    });
    assert.equal(
      pauses.reduce((s, p) => s + p, 0),
      5000,
    );
  });
});
