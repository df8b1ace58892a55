/**
 * The explorer's hot path. Its caches of committed data, the pages' templates
 * (explorer/web/page-cache.ts) and the API's bodies by committed head (explorer/server/app.ts):
 * what they serve is byte for byte what a fresh read gives, while time passes, transactions
 * arrive, blocks commit and a certificate arrives late; they stay within their bounds; a
 * marker in the data is refused rather than filled. And the server's requests and
 * responses, created with the express app's prototypes (explorer/server/server.ts), so that
 * express never re-parents them per request.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApiServer, type ExplorerReader, type NodeApi } from '../../../explorer/server/index.js';
import { createExplorerPages } from '../../../explorer/web/index.js';
import { fillTemplate, PageCache, SlotRecorder, toTemplate } from '../../../explorer/web/page-cache.js';
import { nodeStatusOf, type PagesServer, startPagesServer } from '../../e2e/explorer/pages-server.js';
import { FAKE_ACCOUNTS, FakeExplorerReader } from '../../support/fake-explorer-reader.js';

const GENESIS_MS = 1_700_000_000_000;

describe('page templates', () => {
  it('fills relative times from the time of serving and live parts from the request', () => {
    const slots = new SlotRecorder();
    const html = `<p>${slots.time(GENESIS_MS)}</p><div>${slots.live('balance')}</div><p>${slots.time(GENESIS_MS - 120_000)}</p>`;
    const template = toTemplate(html, slots);
    assert.ok(template);
    assert.equal(template.chunks.length, 4);
    const page = (nowMs: number, balance: string) => {
      const filled = fillTemplate(template, {
        nowMs,
        live: (name) => (name === 'balance' ? Buffer.from(balance) : assert.fail(name)),
      });
      const bytes = Buffer.concat(filled.parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
      assert.equal(filled.bytes, bytes.length, 'the byte count a Content-Length is set from');
      // the template's own chunks go out as they are, not copied
      assert.ok(template.chunks.every((chunk) => filled.parts.includes(chunk)));
      return bytes.toString();
    };
    assert.equal(page(GENESIS_MS + 5_000, '1 BFT'), '<p>5 s ago</p><div>1 BFT</div><p>2 min ago</p>');
    assert.equal(page(GENESIS_MS + 3_600_000, '2 BFT'), '<p>1 h ago</p><div>2 BFT</div><p>1 h ago</p>');
  });

  it('refuses a text whose markers are not the recorded slots in order', () => {
    const one = new SlotRecorder();
    const marker = one.time(GENESIS_MS);
    assert.equal(toTemplate(`a${marker}b${marker}`, one), undefined, 'a marker repeated by the data');
    assert.equal(toTemplate('no slot at all', one), undefined, 'a slot missing');
    const two = new SlotRecorder();
    const first = two.time(GENESIS_MS);
    const second = two.live('x');
    assert.equal(toTemplate(`${second}${first}`, two), undefined, 'slots out of order');
    assert.equal(toTemplate(`${first}\uE000${second}`, two), undefined, 'a stray marker character');
    assert.ok(toTemplate(`${first}${second}`, two));
  });

  it('keeps at most its entries and bytes, forgetting the least recently served first', () => {
    const template = (bytes: number) => ({ chunks: [Buffer.alloc(bytes)], slots: [], bytes });
    const cache = new PageCache(3, 100);
    cache.set('a', template(10));
    cache.set('b', template(10));
    cache.set('c', template(10));
    assert.ok(cache.get('a'));
    cache.set('d', template(10));
    assert.equal(cache.get('b'), undefined, 'b was the least recently served');
    assert.deepEqual(cache.size(), { entries: 3, bytes: 30 });
    cache.set('e', template(90));
    assert.deepEqual(cache.size(), { entries: 2, bytes: 100 }, 'bytes bound the cache too');
    assert.ok(cache.get('d'), 'only as many pages go as make room');
    cache.set('f', template(101));
    assert.equal(cache.get('f'), undefined, 'a page larger than the whole bound is not kept');
    cache.set('e', template(50));
    assert.deepEqual(cache.size(), { entries: 2, bytes: 60 }, 'a key set again replaces its page');
    const off = new PageCache(0, 100);
    off.set('a', template(1));
    assert.equal(off.get('a'), undefined);
  });
});

describe('cached pages over HTTP', () => {
  const reader = new FakeExplorerReader({ genesisMs: GENESIS_MS, blocks: 120 });
  let nowMs = GENESIS_MS + 119_000 + 3_000;
  let cached: PagesServer;
  let fresh: PagesServer;

  before(async () => {
    cached = await startPagesServer(reader, { nowMs: () => nowMs });
    fresh = await startPagesServer(reader, { nowMs: () => nowMs, pageCacheEntries: 0 });
  });
  after(async () => {
    assert.deepEqual([...cached.errors, ...fresh.errors], [], 'no page failed unexpectedly');
    await cached.close();
    await fresh.close();
  });

  /** The page from the cached server, checked against a fresh render of the same state. */
  async function same(path: string): Promise<string> {
    const [a, b] = await Promise.all(
      [cached, fresh].map(async (server) => {
        const res = await fetch(`${server.url}${path}`);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(await res.clone().text())));
        return res.text();
      }),
    );
    assert.equal(a, b, `${path}: the cached page is the page a fresh render gives`);
    return a;
  }

  it('shows the relative times, balance, pending count, history and neighbours of the moment', async () => {
    const account = FAKE_ACCOUNTS[1];
    const below = reader.head().height - 1;
    const paths = [`/accounts/${account}`, `/blocks/${below}`, `/blocks/${reader.head().height}`];
    const first = await Promise.all(paths.map(same));
    for (const path of paths) await same(path);

    nowMs += 3_600_000;
    const later = await same(paths[0]);
    assert.notEqual(later, first[0], 'relative times move on');
    assert.match(later, />1 h ago</);

    const pending = reader.addPendingTx();
    const withPending = await same(`/accounts/${pending.from}`);
    assert.match(withPending, /1 in the mempool/);

    const oldHead = reader.head().height;
    reader.addBlock(3);
    const afterCommit = await same(`/accounts/${pending.from}`);
    assert.match(afterCommit, /none in the mempool/);
    assert.ok(afterCommit.includes(`/txs/${pending.hash}`), 'the new block is in the history');
    // the old head is now below the head, certified, with a link to its child
    assert.match(await same(`/blocks/${oldHead}`), new RegExp(`href="/blocks/${oldHead + 1}"`));
    await same(`/blocks/${below}`);
  });

  it('pages a big block and a history by cursor as a fresh render does', async () => {
    const big = await same('/blocks/100');
    const cursor = nextCursor(big);
    assert.ok(cursor);
    await same(`/blocks/100?cursor=${cursor}`);
    await same(`/blocks/100?cursor=${cursor}`);
    const history = await same(`/accounts/${FAKE_ACCOUNTS[2]}`);
    const older = nextCursor(history);
    assert.ok(older);
    await same(`/accounts/${FAKE_ACCOUNTS[2]}?cursor=${older}`);
  });
});

/** The cursor of a page's "Older" link. */
function nextCursor(html: string): string | undefined {
  return /<a href="[^"?]+\?cursor=([^"]+)" rel="next">/.exec(html)?.[1];
}

describe('API bodies kept by committed head', () => {
  const reader = new FakeExplorerReader({ genesisMs: GENESIS_MS, blocks: 120 });
  /** Heights whose certificate the store has not written yet (it comes after the block). */
  const withheldQc = new Set<number>();
  let historyReads = 0;
  const view: ExplorerReader = Object.assign(Object.create(reader) as ExplorerReader, {
    block: (id: Parameters<ExplorerReader['block']>[0]) => {
      const block = reader.block(id);
      return block && withheldQc.has(block.height) ? { ...block, qc: null } : block;
    },
    accountTxs: (...args: Parameters<ExplorerReader['accountTxs']>) => {
      historyReads++;
      return reader.accountTxs(...args);
    },
  });
  const servers: Array<{ url: string; close(): Promise<void> }> = [];

  async function serve(responseCacheEntries?: number) {
    const api: NodeApi = {
      explorer: view,
      status: () => {
        throw new Error('not read by these tests');
      },
      metrics: () => ({ mempool: {}, network: null, consensus: null }),
      peers: () => [],
      evidence: () => [],
      transactionStatus: (hash) => ({ hash: `0x${Buffer.from(hash).toString('hex')}`, status: 'unknown' }),
      submitTransactions: async () => [],
    };
    const server = createApiServer(api, { responseCacheEntries });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const entry = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
    servers.push(entry);
    return entry;
  }

  let cached: { url: string };
  let fresh: { url: string };
  before(async () => {
    cached = await serve();
    fresh = await serve(0);
  });
  after(async () => {
    for (const server of servers) await server.close();
  });

  /** The body from the caching server, checked against the same request to one without. */
  async function same(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const [a, b] = await Promise.all(
      [cached, fresh].map(async (server) => {
        const res = await fetch(`${server.url}/api/v1${path}`);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/);
        return { status: res.status, text: await res.text() };
      }),
    );
    assert.equal(a.status, b.status, path);
    assert.equal(a.text, b.text, `${path}: the kept body is the body a fresh read gives`);
    return { status: a.status, body: JSON.parse(a.text) };
  }

  it('answers as a fresh read does while blocks commit, and reads a kept page once per head', async () => {
    const account = FAKE_ACCOUNTS[1];
    const paths = [
      '/blocks',
      '/blocks?limit=3',
      '/blocks/100',
      '/blocks/100/txs',
      `/accounts/${account}/txs`,
      `/accounts/${account}/txs?limit=5`,
    ];
    for (const path of paths) await same(path);
    const reads = historyReads;
    await same(`/accounts/${account}/txs`);
    assert.equal(historyReads, reads + 1, 'the second request of a history at this head is not read again');

    const pending = reader.addPendingTx();
    reader.addBlock(2);
    for (const path of paths) await same(path);
    const history = await same(`/accounts/${pending.from}/txs`);
    assert.equal((history.body.items as Array<{ hash: string }>)[0].hash, pending.hash);
    const newest = await same('/blocks?limit=1');
    assert.equal((newest.body.items as Array<{ height: number }>)[0].height, reader.head().height);

    const cursor = (await same('/blocks/100/txs')).body.next as string;
    await same(`/blocks/100/txs?cursor=${cursor}`);
    await same(`/blocks/100/txs?cursor=${cursor}`);
    assert.equal((await same('/blocks/100/txs?cursor=AAAA')).status, 400);
    assert.equal((await same('/blocks/100000')).status, 404);
  });

  it('reads a block again until its certificate is stored, even at the same head', async () => {
    const height = reader.head().height - 3;
    withheldQc.add(height);
    assert.equal((await same(`/blocks/${height}`)).body.qc, null);
    assert.equal((await same(`/blocks/${height}`)).body.qc, null);
    withheldQc.delete(height);
    const certified = await same(`/blocks/${height}`);
    assert.notEqual(certified.body.qc, null, 'the certificate shows as soon as it is stored');
  });
});

describe('API server request and response objects', () => {
  let http: Server;
  let url: string;
  const errors: unknown[] = [];
  const seen: Array<{ path: string; sameRequest: boolean; sameResponse: boolean; express: boolean }> = [];

  before(async () => {
    const reader = new FakeExplorerReader({ blocks: 20 });
    const status = () => nodeStatusOf(reader);
    const onError = (err: unknown) => errors.push(err);
    http = createApiServer(
      {
        explorer: reader,
        status,
        metrics: () => ({ mempool: {}, network: null, consensus: null }),
        peers: () => [],
        evidence: () => [],
        transactionStatus: (hash) => ({ hash: `0x${Buffer.from(hash).toString('hex')}`, status: 'unknown' }),
        submitTransactions: async () => [],
      },
      { pages: createExplorerPages(reader, { status, onError }), onError },
    );
    http.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    http.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const request = Object.getPrototypeOf(req);
      const response = Object.getPrototypeOf(res);
      // express's app.request and app.response each hold the app as an own property
      const express = Object.hasOwn(request, 'app') && Object.hasOwn(response, 'app');
      res.once('finish', () =>
        seen.push({
          path: req.url ?? '',
          sameRequest: Object.getPrototypeOf(req) === request,
          sameResponse: Object.getPrototypeOf(res) === response,
          express,
        }),
      );
    });
  });
  after(async () => {
    assert.deepEqual(errors, []);
    await new Promise((resolve) => http.close(resolve));
  });

  it('are born with the app prototypes and keep them through pages, JSON and errors', async () => {
    const paths = ['/', `/accounts/${FAKE_ACCOUNTS[1]}`, '/api/v1/blocks', '/api/v1/blocks/nope', '/nowhere'];
    for (const path of paths) {
      const res = await fetch(`${url}${path}`);
      await res.arrayBuffer();
      assert.ok(res.status === 200 || res.status === 400 || res.status === 404, `${path}: ${res.status}`);
    }
    assert.deepEqual(
      seen.map((s) => s.path),
      paths,
    );
    for (const s of seen) assert.deepEqual(s, { ...s, sameRequest: true, sameResponse: true, express: true });
  });
});
