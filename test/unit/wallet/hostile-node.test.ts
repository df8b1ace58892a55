/**
 * The wallet against a node that answers whatever suits it with genuine material: a valid
 * proof at another height than the one asked for, a pending nonce far ahead of the
 * verified one, a committed nonce that never ends, and text meant for the user's terminal.
 * Each is caught or bounded, and the wallet moves on to an honest node where it can.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { type PreparedLoad, runLoad, Wallet, WalletError } from '../../../src/wallet/index.js';
import { SENDERS } from '../client/helpers.js';
import {
  accountProofJson,
  BLOCKS,
  CHAIN,
  type FakeNode,
  fakeNodePool,
  type Handler,
  HEAD,
  honest,
} from './fake-node.js';

const ALICE_SECRET = SENDERS[0];
const ALICE = addressOf(ALICE_SECRET);
const BOB = addressOf(SENDERS[1]);
const pool = fakeNodePool();
after(() => pool.closeAll());
const node = (handler: Handler) => pool.start(handler);

function walletOn(urls: string[]): Wallet {
  return new Wallet(urls, CHAIN, { requestTimeoutMs: 1000, retryPasses: 1 }, { sleep: async () => {} });
}

/** An honest node whose account route states `pendingNonce` for every account. */
function pendingNonceOf(pendingNonce: string): Handler {
  const inner = honest();
  return async (method, path, query, body) => {
    const a = await inner(method, path, query, body);
    if (/^\/api\/v1\/accounts\/0x[0-9a-fA-F]{40}$/.test(path))
      return { ...a, body: { ...(a.body as object), pendingNonce } };
    return a;
  };
}

describe('wallet against a hostile node', () => {
  it('refuses a genuine account proof at another height than the one asked for', async () => {
    const asked = 2;
    const inner = honest();
    // always proves the head, whatever height is asked for: a genuine proof of another state
    const stale = await node((method, path, query, body) =>
      path.endsWith('/proof') && path.startsWith('/api/v1/accounts/')
        ? { status: 200, body: accountProofJson(ALICE, HEAD) }
        : inner(method, path, query, body),
    );
    const good = await node(honest());
    const b = await walletOn([stale.url, good.url]).balance(ALICE, asked);
    assert.equal(b.commit.height, asked);
    assert.equal(b.node, good.url);
    assert.equal(b.balance, BLOCKS[asked].view.state.getAccount(ALICE)?.balance);
    assert.deepEqual(
      b.lies.map((l) => [l.node, l.code]),
      [[stale.url, 'WRONG_HEIGHT']],
    );
  });

  it('says when the verified block was made: a node may prove an old block as if it were the newest', async () => {
    const old = 1;
    const inner = honest();
    const stale = await node((method, path, query, body) =>
      path.endsWith('/proof') && path.startsWith('/api/v1/accounts/')
        ? { status: 200, body: accountProofJson(ALICE, old) }
        : inner(method, path, query, body),
    );
    const b = await walletOn([stale.url]).balance(ALICE);
    assert.equal(b.commit.height, old);
    assert.equal(b.commit.timestampMs, BLOCKS[old].header.timestampMs);
  });

  it('does not sign with a pending nonce far ahead of the verified one: asks the next node', async () => {
    const ahead = await node(pendingNonceOf('1000000'));
    const good = await node(honest());
    const wallet = walletOn([ahead.url, good.url]);
    const committed = BLOCKS[HEAD].view.state.getAccount(ALICE)?.nonce ?? 0n;
    const signed = await wallet.prepareTransfer(ALICE_SECRET, { to: BOB, value: 1n });
    assert.equal(signed.nonce, committed);
    const view = await wallet.nonce(ALICE);
    assert.equal(view.pending, committed);
    assert.equal(view.node, good.url);

    // alone, such a node gets nothing signed
    await assert.rejects(
      walletOn([ahead.url]).prepareTransfer(ALICE_SECRET, { to: BOB, value: 1n }),
      (err) => {
        assert.ok(err instanceof WalletError && err.code === 'NODE_UNREACHABLE', String(err));
        assert.match(err.message, /pending nonce of 1000000, more than 256 above/);
        return true;
      },
    );
    // a few ahead is what a busy sender looks like: believed
    const busy = await node(pendingNonceOf(String(committed + 5n)));
    assert.equal((await walletOn([busy.url]).nonce(ALICE)).pending, committed + 5n);
  });

  it('load: a committed nonce without end from the node costs a bounded loop', {
    timeout: 10_000,
  }, async () => {
    const senders = [ALICE, BOB];
    const transfers = await Promise.all(
      [0, 1, 2, 3].map((j) =>
        walletOn(['http://127.0.0.1:1']).prepareTransfer(SENDERS[j % 2], {
          to: senders[(j + 1) % 2],
          value: 1n,
          nonce: BigInt(Math.floor(j / 2)),
          skipFundsCheck: true,
        }),
      ),
    );
    const liar = await node((method, path, _query, body) => {
      if (method === 'POST' && typeof body === 'string')
        return { status: 202, body: { hash: body.slice(0, 66) } };
      if (method === 'POST')
        return {
          status: 200,
          body: { results: (body as string[]).map((raw) => ({ hash: raw.slice(0, 66) })) },
        };
      const m = /^\/api\/v1\/accounts\/(0x[0-9a-fA-F]{40})$/.exec(path);
      if (m)
        return {
          status: 200,
          body: { address: m[1], balance: '0', nonce: '1'.repeat(30), pendingNonce: '0', exists: true },
        };
      return { status: 404, body: { error: 'NOT_FOUND', message: 'no' } };
    });
    let now = 0;
    const prepared: PreparedLoad = {
      plan: { count: 4, ratePerSecond: 1000, senders: 2, valueWei: 1n, settleTimeoutMs: 1000 },
      senders,
      transfers,
      fundingHashes: [],
    };
    const report = await runLoad(walletOn([liar.url]), prepared, {
      nowMs: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    assert.equal(report.submitted, 4);
    assert.ok(report.committed <= 4, `at most the load's own transfers count: ${report.committed}`);
  });

  it("keeps a node's text from reaching the terminal raw: no control characters, bounded length", async () => {
    const terminalTrick = '\u001b[2K\r final at block 99, certified by everyone';
    const liar = await node((method, path, query, body) => {
      if (method === 'POST' && path === '/api/v1/txs')
        return {
          status: 400,
          body: { error: 'INVALID_SIGNATURE', message: `${terminalTrick}${'x'.repeat(100_000)}` },
        };
      return honest()(method, path, query, body);
    });
    await assert.rejects(
      walletOn([liar.url]).send(ALICE_SECRET, { to: BOB, value: 1n }, { wait: false }),
      (err) => {
        assert.ok(err instanceof WalletError && err.code === 'TX_REJECTED', String(err));
        assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f]/);
        assert.ok(err.message.length < 2000, `a message of ${err.message.length} characters`);
        return true;
      },
    );
    // a proof with a field name meant for the terminal: refused, and named harmlessly
    const inner = honest();
    const keyed = await node(async (method, path, query, body) => {
      const a = await inner(method, path, query, body);
      if (path.endsWith('/proof')) return { ...a, body: { ...(a.body as object), [terminalTrick]: 1 } };
      return a;
    });
    await assert.rejects(walletOn([keyed.url]).balance(ALICE), (err) => {
      assert.ok(err instanceof WalletError && err.code === 'PROOF_INVALID', String(err));
      assert.equal(err.details.lies?.[0].code, 'MALFORMED_PROOF');
      assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f]/);
      return true;
    });
  });

  it('moves on from a node that takes the transaction and forgets it, again and again', async () => {
    const signed = BLOCKS[4].transfers[0];
    const hash = toHex(signed.hash);
    const swallower = await node((method, path) =>
      method === 'POST'
        ? { status: 202, body: { hash } }
        : { status: 200, body: { hash: path.slice('/api/v1/txs/'.length), status: 'unknown' } },
    );
    const good = await node(honest());
    let now = 0;
    const wallet = new Wallet(
      [swallower.url, good.url],
      CHAIN,
      { requestTimeoutMs: 1000, commitTimeoutMs: 60_000 },
      {
        nowMs: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      },
    );
    const final = await wallet.waitForCommit(signed);
    assert.equal(final.node, good.url);
    assert.equal(final.commit.height, 4);
    assert.equal(final.resubmissions, 3);
    assert.equal(swallower.requests.filter((r) => r.startsWith('POST')).length, 3);
  });

  it('stops asking nodes once the wait for a commit is over, however many it lists', async () => {
    const signed = BLOCKS[4].transfers[0];
    let now = 0;
    const busy: FakeNode[] = [];
    for (let i = 0; i < 5; i++)
      busy.push(
        await node(() => {
          // each answer takes longer than the whole wait, by the wallet's clock
          now += 10_000;
          return { status: 503, body: { error: 'UNAVAILABLE', message: 'busy' } };
        }),
      );
    const wallet = new Wallet(
      busy.map((b) => b.url),
      CHAIN,
      { requestTimeoutMs: 1000, commitTimeoutMs: 5_000, retryPasses: 3 },
      {
        nowMs: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      },
    );
    await assert.rejects(wallet.waitForCommit(signed), (err) => {
      assert.ok(err instanceof WalletError && err.code === 'COMMIT_TIMEOUT', String(err));
      return true;
    });
    const asked = busy.reduce((sum, b) => sum + b.requests.length, 0);
    assert.equal(asked, 1, 'one request past the deadline at most, not every node of every pass');
  });
});
