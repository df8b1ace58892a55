/**
 * The explorer API over the real reader (src/node/explorer-reader.ts) on a real store of a
 * few hundred committed blocks (test/support/explorer-store.ts): the same checks as
 * api-routes.test.ts against the served OpenAPI document, pages that neither repeat nor
 * skip while blocks are committed between requests, forged cursors refused, and the event
 * stream's live blocks and resume.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../../src/crypto/bytes.js';
import { createExplorerStore, type ExplorerStore } from '../../support/explorer-store.js';
import { type Answer, nodeApiOver, OpenApiChecker, type RunningApi, startApi } from './api-harness.js';
import { openStream, type SseStream } from './sse-client.js';

type Json = Record<string, unknown>;
type PageBody = { items: Json[]; next: string | null };
const body = <T = Json>(a: Answer) => a.body as T;

describe('explorer API over a real store and reader', () => {
  let chain: ExplorerStore;
  let api: RunningApi;
  let checker: OpenApiChecker;

  before(async () => {
    chain = await createExplorerStore({ blocks: 300 });
    api = await startApi(nodeApiOver(chain.reader), { requestsPerSecond: 100_000, burstRequests: 100_000 });
    const doc = await api.get('/api/v1/openapi.json');
    checker = new OpenApiChecker(doc.body as Json);
    checker.check('GET', '/api/v1/openapi.json', doc);
  });
  after(async () => {
    await api?.close();
    await chain?.close();
  });

  async function call(path: string, headers: Record<string, string> = {}) {
    const answer = await api.get(path, headers);
    checker.check('GET', path, answer);
    return answer;
  }

  it('every read route answers what the document says, errors included', async () => {
    const head = chain.reader.head();
    assert.ok(head.height >= 300);
    assert.equal(body(await call('/api/v1/status')).height, head.height);
    const blocks = body<PageBody>(await call('/api/v1/blocks?limit=100'));
    assert.equal(blocks.items.length, 100);
    assert.equal(blocks.items[0].height, head.height);
    assert.equal((await call('/api/v1/blocks?limit=101')).status, 400);

    const detail = body(await call('/api/v1/blocks/120'));
    assert.equal(detail.height, 120);
    const qc = detail.qc as { members: Json[]; quorum: number; votingPower: number };
    assert.equal(qc.members.length, chain.validators.length);
    assert.ok(qc.votingPower >= qc.quorum);
    assert.equal(body(await call(`/api/v1/blocks/${detail.hash}`)).height, 120);
    assert.equal((await call(`/api/v1/blocks/${head.height + 1}`)).status, 404);
    assert.equal((await call(`/api/v1/blocks/0x${'ee'.repeat(32)}`)).status, 404);
    const txs = body<PageBody>(await call('/api/v1/blocks/120/txs?limit=2'));
    assert.equal(txs.items.length, 2);
    assert.equal((await call(`/api/v1/blocks/120/txs?limit=2&cursor=${txs.next}`)).status, 200);

    const txHash = toHex(chain.txHashes[120][1]);
    const tx = body(await call(`/api/v1/txs/${txHash}`));
    assert.equal(tx.status, 'committed');
    assert.equal(tx.height, 120);
    assert.equal(tx.index, 1);
    assert.equal(body(await call(`/api/v1/txs/0x${'cd'.repeat(32)}`)).status, 'unknown');
    const pending = chain.addPending(0, chain.addresses[1], 5n);
    const pendingHash = toHex(pending.hash);
    assert.equal(body(await call(`/api/v1/txs/${pendingHash}`)).status, 'pending');

    // the proofs' shapes (their verification against real QCs: test/integration/proof-routes)
    const txProof = body<{ commit: { header: Json }; inclusion: Json; receipt: Json }>(
      await call(`/api/v1/txs/${txHash}/proof`),
    );
    assert.deepEqual([txProof.commit.header.height, txProof.inclusion.index], [120, 1]);
    assert.equal(txProof.receipt.status, 1);
    assert.equal(body(await call(`/api/v1/txs/${pendingHash}/proof`)).error, 'NOT_COMMITTED');
    assert.equal(body(await call(`/api/v1/txs/0x${'cd'.repeat(32)}/proof`)).error, 'NOT_FOUND');
    const holder = toHex(chain.addresses[2]);
    const accountProof = body<{ commit: { header: Json }; account: Json }>(
      await call(`/api/v1/accounts/${holder}/proof`),
    );
    // the fixture stores no proof point above its head, so the newest provable height is below it
    assert.ok(accountProof.commit, JSON.stringify(accountProof));
    assert.ok(Number(accountProof.commit.header.height) >= head.height - 2);
    assert.equal(accountProof.account.exists, true);
    const below = body<{ commit: { header: Json } }>(
      await call(`/api/v1/accounts/${holder}/proof?height=${head.height - 5}`),
    );
    assert.equal(below.commit.header.height, head.height - 5);
    assert.equal(body(await call(`/api/v1/accounts/${holder}/proof?height=3`)).error, 'NOT_PROVABLE');
    assert.equal((await call(`/api/v1/accounts/${holder}/proof?height=x`)).status, 400);
    assert.equal((body<PageBody>(await call('/api/v1/mempool')).items[0] as Json).hash, pendingHash);

    const address = toHex(chain.addresses[3]);
    const account = body(await call(`/api/v1/accounts/0x${address.slice(2).toUpperCase()}`));
    assert.equal(account.address, address);
    assert.equal(account.exists, true);
    const history = body<PageBody>(await call(`/api/v1/accounts/${address}/txs?limit=20`));
    assert.equal(history.items.length, 20);
    for (const item of history.items) assert.ok(item.from === address || item.to === address);
    assert.equal(body(await call(`/api/v1/accounts/0x${'01'.repeat(20)}`)).exists, false);

    assert.equal(
      (body(await call('/api/v1/validators')).validators as Json[]).length,
      chain.validators.length,
    );
    assert.equal(body(await call('/api/v1/stats')).height, head.height);

    assert.equal(body(await call('/api/v1/search?q=7')).kind, 'block');
    assert.deepEqual(body(await call(`/api/v1/search?q=${txHash}`)), {
      kind: 'tx',
      hash: txHash,
      status: 'committed',
      height: 120,
    });
    assert.equal(body(await call(`/api/v1/search?q=${detail.hash}`)).height, 120);
    assert.equal(body(await call(`/api/v1/search?q=${address}`)).kind, 'account');
    assert.equal((await call(`/api/v1/search?q=0x${'9f'.repeat(32)}`)).status, 404);
    assert.equal((await call('/api/v1/search?q=%3Cscript%3E')).status, 400);
  });

  it('forged and foreign cursors are 400 INVALID_CURSOR, never a 500', async () => {
    const address = toHex(chain.addresses[0]);
    const blocks = body<PageBody>(await call('/api/v1/blocks?limit=3'));
    const foreign = body<PageBody>(await call(`/api/v1/accounts/${address}/txs?limit=3`)).next!;
    for (const cursor of [
      foreign,
      'AAAA',
      'x'.repeat(256),
      Buffer.from('blocks:99999999').toString('base64url'),
      Buffer.from(JSON.stringify({ h: -1 })).toString('base64url'),
      `${blocks.next}A`,
    ]) {
      for (const path of [
        `/api/v1/blocks?cursor=${cursor}`,
        `/api/v1/blocks/120/txs?cursor=${cursor}`,
        `/api/v1/mempool?cursor=${cursor}`,
      ]) {
        const res = await call(path);
        assert.equal(res.status, 400, `${path}: ${res.text}`);
        assert.equal(body(res).error, 'INVALID_CURSOR', path);
      }
    }
    const wrongList = await call(`/api/v1/accounts/${address}/txs?cursor=${blocks.next}`);
    assert.equal(wrongList.status, 400);
    assert.deepEqual(api.errors, []);
  });

  it('pages neither repeat nor skip while blocks are committed between requests', async () => {
    const top = chain.reader.head().height;
    const heights: number[] = [];
    let cursor: string | null = null;
    do {
      const res: Answer = await call(`/api/v1/blocks?limit=37${cursor ? `&cursor=${cursor}` : ''}`);
      const page = body<PageBody>(res);
      heights.push(...page.items.map((b) => b.height as number));
      cursor = page.next;
      await chain.commitBlock();
    } while (cursor);
    assert.deepEqual(
      heights,
      Array.from({ length: top + 1 }, (_, i) => top - i),
    );

    const address = toHex(chain.addresses[2]);
    const expected: string[] = [];
    let readerCursor: string | undefined;
    do {
      const page = chain.reader.accountTxs(chain.addresses[2], { limit: 100, cursor: readerCursor });
      expected.push(...page.items.map((tx) => tx.hash));
      readerCursor = page.next ?? undefined;
    } while (readerCursor);
    const seen: string[] = [];
    cursor = null;
    do {
      const res: Answer = await call(
        `/api/v1/accounts/${address}/txs?limit=23${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const page = body<PageBody>(res);
      seen.push(...page.items.map((tx) => tx.hash as string));
      cursor = page.next;
      await chain.commitBlock(6);
    } while (cursor);
    assert.deepEqual(seen, expected);
  });

  it('streams live blocks in order and resumes with exactly the missed ones', async () => {
    const opened = await openStream(api.port, '/api/v1/events');
    assert.equal(opened.status, 200);
    const live: SseStream = opened.stream!;
    try {
      const from = chain.reader.head().height;
      for (let i = 0; i < 3; i++) await chain.commitBlock();
      await live.until(() => live.blocks().length === 3, 'three live blocks');
      assert.deepEqual(
        live.blocks().map((e) => Number(e.id)),
        [from + 1, from + 2, from + 3],
      );
      const data = JSON.parse(live.blocks()[0].data);
      assert.equal(data.height, from + 1);
      assert.equal(data.txs.length, data.txCount);
      live.close();
      for (let i = 0; i < 4; i++) await chain.commitBlock();
      const again = await openStream(api.port, '/api/v1/events', { 'last-event-id': String(from + 3) });
      const resumed = again.stream!;
      try {
        await resumed.until(() => resumed.blocks().length === 4, 'the four missed blocks');
        assert.deepEqual(
          resumed.blocks().map((e) => Number(e.id)),
          [from + 4, from + 5, from + 6, from + 7],
        );
      } finally {
        resumed.close();
      }
    } finally {
      live.close();
    }
  });
});
