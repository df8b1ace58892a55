/**
 * The wallet against a list of small in-process nodes: unreachable ones, ones that answer
 * 5xx, slowly, too much or garbage, and ones that serve proofs that do not verify. Reads
 * move on to the next node, a lie is named with its node and code every time, nothing
 * unverified is returned as verified, and a list of only bad nodes fails with a bounded
 * number of requests and the right code.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { type NodeEvent, Wallet, WalletError, type WalletErrorCode } from '../../../src/wallet/index.js';
import { type Forgery, forgeProof } from '../../support/lying-node.js';
import { SENDERS } from '../client/helpers.js';
import { BLOCKS, CHAIN, fakeNodePool, type Handler, HEAD, honest, unreachableUrl } from './fake-node.js';

const ALICE = addressOf(SENDERS[0]);
const ALICE_BALANCE = BLOCKS[HEAD].view.state.getAccount(ALICE)?.balance;
const pool = fakeNodePool();
after(() => pool.closeAll());
const node = (handler: Handler) => pool.start(handler);

/** An honest node whose proof answers are passed through `forgery`. */
function lying(forgery: Forgery): Handler {
  const inner = honest();
  return async (method, path, query, body) => {
    const a = await inner(method, path, query, body);
    if (a.status === 200 && path.endsWith('/proof')) return { ...a, body: forgeProof(a.body, forgery, 4) };
    return a;
  };
}

/** A wallet that never really sleeps between passes (it counts the pauses instead). */
function walletOn(urls: string[], events: NodeEvent[] = [], pauses: number[] = []): Wallet {
  return new Wallet(
    urls,
    CHAIN,
    { requestTimeoutMs: 1000, retryPasses: 3 },
    {
      sleep: async (ms) => {
        pauses.push(ms);
      },
      onNodeEvent: (e) => events.push(e),
    },
  );
}

function walletError(code: WalletErrorCode): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof WalletError, `expected a WalletError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

describe('wallet node list', () => {
  it('moves past an unreachable node and one answering 5xx to an honest one', async () => {
    const down = await unreachableUrl();
    const failing = await node(() => ({ status: 503, body: { error: 'UNAVAILABLE', message: 'busy' } }));
    const good = await node(honest());
    const events: NodeEvent[] = [];
    const b = await walletOn([down, failing.url, good.url], events).balance(ALICE);
    assert.equal(b.balance, ALICE_BALANCE);
    assert.equal(b.node, good.url);
    assert.equal(b.commit.height, HEAD);
    assert.deepEqual(b.commit.signers, ['v0', 'v1', 'v2']);
    assert.deepEqual(
      events.map((e) => (e.kind === 'fault' ? `${e.node} ${e.fault}` : 'lie')),
      [`${down} unreachable`, `${failing.url} unavailable`],
    );
  });

  it('names every lying node and answers from the honest one, for each kind of forgery', async () => {
    for (const [forgery, code] of [
      ['commit', 'BROKEN_LINK'],
      ['balance', 'BAD_ACCOUNT_PROOF'],
      ['weak-qc', 'INSUFFICIENT_POWER'],
    ] as const) {
      const liar = await node(lying(forgery));
      const good = await node(honest());
      const wallet = walletOn([liar.url, good.url]);
      const b = await wallet.balance(ALICE);
      assert.equal(b.balance, ALICE_BALANCE, forgery);
      assert.equal(b.node, good.url);
      assert.deepEqual(
        b.lies.map((l) => [l.node, l.code]),
        [[liar.url, code]],
        forgery,
      );
      // the next read starts at the node that answered honestly
      const again = await wallet.balance(ALICE);
      assert.equal(again.node, good.url);
      assert.deepEqual(again.lies, []);
    }
  });

  it('shows nothing from a list of liars: PROOF_INVALID naming each, each asked once', async () => {
    const liars = [await node(lying('balance')), await node(lying('weak-qc'))];
    const pauses: number[] = [];
    const wallet = walletOn(
      liars.map((l) => l.url),
      [],
      pauses,
    );
    await assert.rejects(wallet.balance(ALICE), (err) => {
      walletError('PROOF_INVALID')(err);
      const lies = (err as WalletError).details.lies ?? [];
      assert.deepEqual(
        lies.map((l) => [l.node, l.code]),
        [
          [liars[0].url, 'BAD_ACCOUNT_PROOF'],
          [liars[1].url, 'INSUFFICIENT_POWER'],
        ],
      );
      assert.match((err as Error).message, /nothing is shown as final/);
      return true;
    });
    assert.deepEqual(
      liars.map((l) => l.requests.length),
      [1, 1],
    );
    assert.deepEqual(pauses, [], 'no retry pass over nodes that all lied');
  });

  it('gives up on unreachable nodes after the bounded passes, with a growing pause', async () => {
    const down = [await unreachableUrl(), await unreachableUrl()];
    const pauses: number[] = [];
    await assert.rejects(walletOn(down, [], pauses).balance(ALICE), (err) => {
      walletError('NODE_UNREACHABLE')(err);
      for (const url of down) assert.ok((err as Error).message.includes(url), (err as Error).message);
      return true;
    });
    assert.deepEqual(pauses, [250, 500]);
  });

  it('refuses oversized, malformed and slow answers as faults, not as answers', async () => {
    const huge = await node(() => ({ status: 200, text: `"${'x'.repeat(2 * 1024 * 1024)}"` }));
    const garbage = await node(() => ({ status: 200, text: '{"commit": ' }));
    const wrongShape = await node((_m, p) =>
      p.startsWith('/api/v1/accounts/') && !p.endsWith('/proof')
        ? { status: 200, body: { address: 'me', balance: -1 } }
        : { status: 500 },
    );
    const slow = await node(() => new Promise<never>(() => {}));
    const events: NodeEvent[] = [];
    const wallet = new Wallet(
      [huge.url, garbage.url, wrongShape.url, slow.url],
      CHAIN,
      { requestTimeoutMs: 300, maxResponseBytes: 1024 * 1024, retryPasses: 1 },
      { onNodeEvent: (e) => events.push(e) },
    );
    await assert.rejects(wallet.nonce(ALICE), walletError('NODE_UNREACHABLE'));
    assert.deepEqual(
      events.map((e) => (e.kind === 'fault' ? e.fault : e.kind)),
      ['too-large', 'bad-answer', 'unavailable', 'timeout'],
    );
  });

  it('verifies a committed transaction with its receipt, and catches a forged receipt', async () => {
    const t = BLOCKS[5].transfers[1];
    const good = await node(honest());
    const final = await walletOn([good.url]).tx(t.hash);
    assert.equal(final.status, 'final');
    if (final.status !== 'final') return;
    assert.equal(final.commit.height, 5);
    assert.equal(final.index, 1);
    assert.equal(final.receipt.fee, BLOCKS[5].receipts[1].fee);
    assert.equal(final.from.toLowerCase(), toHex(t.from));

    const liar = await node(lying('receipt'));
    await assert.rejects(walletOn([liar.url]).tx(t.hash), (err) => {
      walletError('PROOF_INVALID')(err);
      assert.equal((err as WalletError).details.lies?.[0].code, 'BAD_RECEIPT_PROOF');
      return true;
    });
  });
});
