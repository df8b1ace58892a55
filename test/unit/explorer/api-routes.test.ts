/**
 * The explorer API over HTTP (issue 11, "API"): every route's real answers, errors
 * included, match the OpenAPI document the server serves; lists never repeat or skip an
 * item while blocks are committed between pages; search resolves what it names and
 * refuses garbage; CORS is off unless configured; the pages mount at / while /api keeps
 * its JSON 404s. The real server on port 0 over the deterministic fake reader.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { MAX_PAGE_LIMIT } from '../../../explorer/server/index.js';
import { fromHex } from '../../../src/crypto/bytes.js';
import { toChecksumAddress } from '../../../src/crypto/keys.js';
import {
  FAKE_ACCOUNTS,
  FAKE_UNTOUCHED_ADDRESS,
  FakeExplorerReader,
} from '../../support/fake-explorer-reader.js';
import { type Answer, nodeApiOver, OpenApiChecker, type RunningApi, startApi } from './api-harness.js';

type Json = Record<string, unknown>;
type PageBody = { items: Json[]; next: string | null };

const body = <T = Json>(a: Answer) => a.body as T;

describe('explorer API: answers match the served OpenAPI document', () => {
  let reader: FakeExplorerReader;
  let api: RunningApi;
  let checker: OpenApiChecker;

  before(async () => {
    reader = new FakeExplorerReader();
    api = await startApi(nodeApiOver(reader));
    const doc = await api.get('/api/v1/openapi.json');
    assert.equal(doc.status, 200);
    checker = new OpenApiChecker(doc.body as Json);
    checker.check('GET', '/api/v1/openapi.json', doc);
  });
  after(() => api.close());

  /** GET (or another method), checked against the document, then returned. */
  async function call(path: string, method = 'GET', headers: Record<string, string> = {}, payload?: string) {
    const answer = await api.send(method, path, headers, payload);
    checker.check(method, path, answer);
    return answer;
  }

  it('is an OpenAPI 3.1 document generated for every route, parameters and components included', () => {
    const doc = checker.document;
    assert.equal(doc.openapi, '3.1.0');
    const ops = checker.allOperations();
    for (const op of [
      'GET /api/v1/status',
      'POST /api/v1/txs',
      'GET /api/v1/txs/{hash}',
      'GET /api/v1/peers',
      'GET /api/v1/evidence',
      'GET /api/v1/metrics',
      'GET /api/v1/blocks',
      'GET /api/v1/blocks/{heightOrHash}',
      'GET /api/v1/blocks/{heightOrHash}/txs',
      'GET /api/v1/accounts/{address}',
      'GET /api/v1/accounts/{address}/txs',
      'GET /api/v1/accounts/{address}/proof',
      'GET /api/v1/txs/{hash}/proof',
      'GET /api/v1/validators',
      'GET /api/v1/mempool',
      'GET /api/v1/stats',
      'GET /api/v1/search',
      'GET /api/v1/events',
      'GET /api/v1/openapi.json',
    ])
      assert.ok(ops.includes(op), op);
    const blocks = (doc.paths as Json)['/api/v1/blocks'] as { get: { parameters: Json[] } };
    assert.deepEqual(
      blocks.get.parameters.map((p) => p.name),
      ['limit', 'cursor', 'before'],
    );
    const schemas = (doc.components as { schemas: Json }).schemas;
    for (const name of ['BlockDetail', 'CommittedTx', 'PendingTx', 'Qc', 'Validators', 'Stats', 'Error'])
      assert.ok(schemas[name], name);
  });

  it('node routes: status, peers, evidence, metrics, transaction submission', async () => {
    assert.equal((await call('/api/v1/status')).status, 200);
    assert.equal((await call('/api/v1/peers')).status, 200);
    assert.equal((await call('/api/v1/evidence')).status, 200);
    assert.equal((await call('/api/v1/metrics')).status, 200);
    const json = { 'content-type': 'application/json' };
    assert.equal((await call('/api/v1/txs', 'POST', json, '"0x01"')).status, 202);
    assert.equal((await call('/api/v1/txs', 'POST', json, '["0x01","0x02"]')).status, 200);
    assert.equal((await call('/api/v1/txs', 'POST', json, '"nope"')).status, 400);
    assert.equal((await call('/api/v1/txs', 'POST', { 'content-type': 'text/plain' }, '"0x01"')).status, 415);
  });

  it('blocks: newest first, limit (default and cap), before, cursor; detail by height and hash with its QCs', async () => {
    const head = reader.head();
    const first = await call('/api/v1/blocks');
    assert.equal(first.status, 200);
    const page = body<PageBody>(first);
    assert.equal(page.items.length, 25);
    assert.equal(page.items[0].height, head.height);
    assert.equal((await call(`/api/v1/blocks?limit=${MAX_PAGE_LIMIT}`)).status, 200);
    const over = await call(`/api/v1/blocks?limit=${MAX_PAGE_LIMIT + 1}`);
    assert.equal(over.status, 400);
    assert.equal(body(over).error, 'INVALID_LIMIT');
    const jumped = body<PageBody>(await call('/api/v1/blocks?before=3&limit=10'));
    assert.deepEqual(
      jumped.items.map((b) => b.height),
      [2, 1, 0],
    );
    assert.equal(jumped.next, null);
    const next = body<PageBody>(await call(`/api/v1/blocks?limit=5&cursor=${page.next}`));
    assert.equal(next.items[0].height, head.height - 25);
    assert.equal((await call(`/api/v1/blocks?cursor=${page.next}&before=5`)).status, 400);
    const foreign = await call(`/api/v1/blocks?cursor=${Buffer.from('mempool:3').toString('base64url')}`);
    assert.equal(foreign.status, 400);
    assert.equal(body(foreign).error, 'INVALID_CURSOR');

    const byHeight = body(await call('/api/v1/blocks/100?limit=10'));
    assert.equal(byHeight.height, 100);
    assert.equal((byHeight.txs as PageBody).items.length, 10);
    assert.ok((byHeight.txs as PageBody).next);
    const qc = byHeight.qc as { members: Json[]; quorum: number; votingPower: number };
    assert.equal(qc.members.length, 4);
    assert.ok(qc.votingPower >= qc.quorum);
    const byHash = body(
      await call(`/api/v1/blocks/${String(byHeight.hash).toUpperCase().replace('0X', '0x')}`),
    );
    assert.equal(byHash.height, 100);
    assert.equal(body(await call('/api/v1/blocks/0')).parentQc, null);
    assert.equal((await call(`/api/v1/blocks/${head.height + 1}`)).status, 404);
    assert.equal((await call(`/api/v1/blocks/0x${'ee'.repeat(32)}`)).status, 404);
    assert.equal((await call('/api/v1/blocks/01')).status, 400);
  });

  it("a big block's transactions page through in block order, each once", async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const answer: Answer = await call(
        `/api/v1/blocks/100/txs?limit=${MAX_PAGE_LIMIT}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(answer.status, 200);
      const page = body<PageBody>(answer);
      seen.push(...page.items.map((tx) => tx.index as number));
      cursor = page.next;
    } while (cursor);
    assert.deepEqual(
      seen,
      Array.from({ length: 230 }, (_, i) => i),
    );
    const hash = reader.head().hash;
    assert.equal((await call(`/api/v1/blocks/${hash}/txs`)).status, 200);
    assert.equal((await call(`/api/v1/blocks/${reader.head().height + 5}/txs`)).status, 404);
  });

  it('transactions: committed with block, index and receipt; pending; unknown; bad hash 400', async () => {
    const committed = reader.committedTx(100, 3)!;
    const found = body(await call(`/api/v1/txs/${committed.hash}`));
    assert.equal(found.status, 'committed');
    assert.equal(found.height, 100);
    assert.equal(found.index, 3);
    assert.ok(found.receipt);
    const pending = reader.addPendingTx();
    assert.equal(body(await call(`/api/v1/txs/${pending.hash}`)).status, 'pending');
    assert.equal(body(await call(`/api/v1/txs/0x${'cd'.repeat(32)}`)).status, 'unknown');
    assert.equal((await call('/api/v1/txs/0x1234')).status, 400);
  });

  it('proof routes: typed 404s for what is not provable, 400 for bad parameters', async () => {
    // the fake reader signs nothing and holds no proofs; real ones: api-real-store, proof-routes
    const committed = reader.committedTx(100, 3)!;
    const pending = reader.addPendingTx();
    const cases: Array<[string, number, string]> = [
      [`/api/v1/txs/${committed.hash}/proof`, 404, 'NOT_PROVABLE'],
      [`/api/v1/txs/${pending.hash}/proof`, 404, 'NOT_COMMITTED'],
      [`/api/v1/txs/0x${'cd'.repeat(32)}/proof`, 404, 'NOT_FOUND'],
      ['/api/v1/txs/0x1234/proof', 400, 'INVALID_HASH'],
      [`/api/v1/accounts/${FAKE_ACCOUNTS[1]}/proof?height=4`, 404, 'NOT_PROVABLE'],
      [`/api/v1/accounts/${FAKE_ACCOUNTS[1]}/proof?height=4.5`, 400, 'INVALID_HEIGHT'],
      ['/api/v1/accounts/0xzz/proof', 400, 'INVALID_ADDRESS'],
    ];
    for (const [path, status, error] of cases) {
      const answer = await call(path);
      assert.deepEqual([answer.status, body(answer).error], [status, error], path);
    }
  });

  it('accounts: mixed-case address answered lowercase; untouched one exists: false; history newest first', async () => {
    const address = FAKE_ACCOUNTS[2];
    const mixed = `0x${address.slice(2).toUpperCase()}`;
    const account = body(await call(`/api/v1/accounts/${mixed}`));
    assert.equal(account.address, address);
    assert.equal(account.exists, true);
    assert.equal(body(await call(`/api/v1/accounts/${FAKE_UNTOUCHED_ADDRESS}`)).exists, false);
    const history = body<PageBody>(await call(`/api/v1/accounts/${mixed}/txs?limit=10`));
    assert.equal(history.items.length, 10);
    const heights = history.items.map((tx) => tx.height as number);
    assert.deepEqual(
      heights,
      [...heights].sort((a, b) => b - a),
    );
    for (const tx of history.items) assert.ok(tx.from === address || tx.to === address);
    assert.equal((await call('/api/v1/accounts/0x1234/txs')).status, 400);
    // mixed case is an EIP-55 checksum: the right one is accepted, a typo in it is a 400
    const checksummed = toChecksumAddress(fromHex(address));
    assert.equal(body(await call(`/api/v1/accounts/${checksummed}`)).address, address);
    const typo = checksummed.replace(/[a-f]/, (c) => c.toUpperCase());
    const refused = await call(`/api/v1/accounts/${typo}`);
    assert.equal(refused.status, 400);
    assert.equal(body(refused).error, 'INVALID_ADDRESS');
    assert.equal((await call(`/api/v1/search?q=${typo}`)).status, 400);
  });

  it('validators, mempool and stats', async () => {
    const validators = body(await call('/api/v1/validators'));
    assert.equal((validators.validators as Json[]).length, 4);
    reader.addPendingTx();
    const mempool = body<PageBody>(await call('/api/v1/mempool?limit=1'));
    assert.equal(mempool.items.length, 1);
    assert.equal(body(await call('/api/v1/stats')).height, reader.head().height);
  });

  it('search: a height, a block hash, a tx hash (committed or pending), an address; unknown and garbage', async () => {
    const head = reader.head();
    assert.deepEqual(body(await call('/api/v1/search?q=0')), {
      kind: 'block',
      height: 0,
      hash: reader.block({ height: 0 })!.hash,
    });
    assert.deepEqual(body(await call(`/api/v1/search?q=${head.hash}`)), {
      kind: 'block',
      height: head.height,
      hash: head.hash,
    });
    const tx = reader.committedTx(7, 0)!;
    assert.deepEqual(body(await call(`/api/v1/search?q=%20${tx.hash}%20`)), {
      kind: 'tx',
      hash: tx.hash,
      status: 'committed',
      height: 7,
    });
    const pending = reader.addPendingTx();
    assert.equal(body(await call(`/api/v1/search?q=${pending.hash}`)).status, 'pending');
    const upper = `0x${FAKE_ACCOUNTS[1].slice(2).toUpperCase()}`;
    assert.deepEqual(body(await call(`/api/v1/search?q=${upper}`)), {
      kind: 'account',
      address: FAKE_ACCOUNTS[1],
      exists: true,
    });
    const unknown = await call(`/api/v1/search?q=0x${'9f'.repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.match(String(body(unknown).message), /block or transaction/);
    const above = await call(`/api/v1/search?q=${head.height + 10}`);
    assert.equal(above.status, 404);
    for (const garbage of [
      '',
      'hello',
      '0x',
      '00',
      '-1',
      '0x12',
      '1.0',
      encodeURIComponent('<script>alert(1)</script>'),
    ]) {
      const answer = await call(`/api/v1/search?q=${garbage}`);
      assert.equal(answer.status, 400, garbage);
      assert.equal(body(answer).error, 'INVALID_QUERY', garbage);
    }
    assert.equal(body(await call('/api/v1/search')).error, 'INVALID_QUERY');
  });

  it('parameters are refused when repeated or unknown, never ignored', async () => {
    const repeated = await call('/api/v1/blocks?limit=1&limit=2');
    assert.equal(repeated.status, 400);
    assert.equal(body(repeated).error, 'REPEATED_PARAMETER');
    const unknown = await call('/api/v1/blocks?limt=5');
    assert.equal(unknown.status, 400);
    assert.equal(body(unknown).error, 'UNKNOWN_PARAMETER');
  });

  it('the event stream answers text/event-stream (its behaviour: events.test.ts)', async () => {
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/events`, { signal: controller.signal });
    checker.check('GET', '/api/v1/events', {
      status: res.status,
      headers: { 'content-type': res.headers.get('content-type') ?? '' },
      text: '',
      body: undefined,
    });
    controller.abort();
    assert.equal((await call('/api/v1/events?since=abc')).status, 400);
  });

  it('the checker is not vacuous: a body off its schema, or an undocumented status, fails it', () => {
    const headers = { 'content-type': 'application/json; charset=utf-8' };
    const block = { height: -1, hash: '0xnothex' };
    assert.throws(() =>
      checker.check('GET', '/api/v1/blocks/1', { status: 200, headers, text: '', body: block }),
    );
    assert.throws(() =>
      checker.check('GET', '/api/v1/stats', {
        status: 418,
        headers,
        text: '',
        body: { error: 'X', message: '' },
      }),
    );
  });

  it('every operation of the document was checked by the tests above', () => {
    const missing = checker.allOperations().filter((op) => !checker.checked.has(op));
    assert.deepEqual(missing, []);
  });
});

describe('explorer API: keyset pages while blocks are committed between requests', () => {
  let reader: FakeExplorerReader;
  let api: RunningApi;
  before(async () => {
    reader = new FakeExplorerReader();
    api = await startApi(nodeApiOver(reader));
  });
  after(() => api.close());

  async function walk(path: string, key: (item: Json) => string, between: () => void): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const answer: Answer = await api.get(`${path}${cursor ? `${sep}cursor=${cursor}` : ''}`);
      assert.equal(answer.status, 200, answer.text);
      const page = body<PageBody>(answer);
      seen.push(...page.items.map(key));
      cursor = page.next;
      between();
    } while (cursor);
    return seen;
  }

  it('blocks: every height from the first page down to genesis, once each', async () => {
    const top = reader.head().height;
    const heights = await walk(
      '/api/v1/blocks?limit=13',
      (b) => String(b.height),
      () => reader.addBlock(3),
    );
    assert.deepEqual(
      heights,
      Array.from({ length: top + 1 }, (_, i) => String(top - i)),
    );
  });

  it("an account's history: what was committed before the first page, once each, newest first", async () => {
    const address = FAKE_ACCOUNTS[0];
    const expected: string[] = [];
    let cursor: string | undefined;
    do {
      const page = reader.accountTxs(Buffer.from(address.slice(2), 'hex'), { limit: 100, cursor });
      expected.push(...page.items.map((tx) => tx.hash));
      cursor = page.next ?? undefined;
    } while (cursor);
    const hashes = await walk(
      `/api/v1/accounts/${address}/txs?limit=9`,
      (tx) => String(tx.hash),
      () => reader.addBlock(7),
    );
    assert.deepEqual(hashes, expected);
  });

  it('the mempool: pending transactions admitted before the first page, once each', async () => {
    for (let i = 0; i < 20; i++) reader.addPendingTx();
    const expected = reader
      .pendingTxs()
      .map((tx) => tx.hash)
      .reverse();
    const hashes = await walk(
      '/api/v1/mempool?limit=6',
      (tx) => String(tx.hash),
      () => reader.addPendingTx(),
    );
    assert.deepEqual(hashes, expected);
  });
});

describe('explorer API: CORS, nosniff and the pages mount', () => {
  it('CORS is off by default: no Allow-Origin header, preflights refused', async () => {
    const api = await startApi(nodeApiOver(new FakeExplorerReader({ blocks: 5 })));
    try {
      const res = await api.get('/api/v1/status', { origin: 'https://elsewhere.example' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      const preflight = await api.send('OPTIONS', '/api/v1/txs', {
        origin: 'https://elsewhere.example',
        'access-control-request-method': 'POST',
      });
      assert.equal(preflight.status, 403);
      assert.equal(body(preflight).error, 'ORIGIN_NOT_ALLOWED');
    } finally {
      await api.close();
    }
  });

  it('an allow-listed origin is answered, its preflight too; any other is not', async () => {
    const origin = 'https://explorer.example.org';
    const api = await startApi(nodeApiOver(new FakeExplorerReader({ blocks: 5 })), {
      allowedOrigins: [origin],
    });
    try {
      const res = await api.get('/api/v1/blocks', { origin });
      assert.equal(res.headers['access-control-allow-origin'], origin);
      assert.match(String(res.headers.vary), /Origin/);
      const preflight = await api.send('OPTIONS', '/api/v1/txs', {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      });
      assert.equal(preflight.status, 204);
      assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
      assert.match(String(preflight.headers['access-control-allow-headers']), /Content-Type/);
      const other = await api.get('/api/v1/blocks', { origin: 'https://evil.example' });
      assert.equal(other.headers['access-control-allow-origin'], undefined);
      const otherPreflight = await api.send('OPTIONS', '/api/v1/txs', {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
      });
      assert.equal(otherPreflight.status, 403);
    } finally {
      await api.close();
    }
  });

  it('pages answer outside /api; /api keeps JSON 404s; an unanswered page is a plain 404; a page error is plain', async () => {
    const pages = express.Router();
    pages.get('/', (_req, res) => {
      res.type('html').send('<!doctype html><title>home</title>');
    });
    pages.get('/boom', () => {
      throw new Error('/secret/path/of/the/server');
    });
    const api = await startApi(nodeApiOver(new FakeExplorerReader({ blocks: 5 })), {}, { pages });
    try {
      const home = await api.get('/');
      assert.equal(home.status, 200);
      assert.match(home.text, /<title>home/);
      const apiMissing = await api.get('/api/v2/blocks');
      assert.equal(apiMissing.status, 404);
      assert.equal(body(apiMissing).error, 'NOT_FOUND');
      const pageMissing = await api.get('/no/such/page');
      assert.equal(pageMissing.status, 404);
      assert.match(String(pageMissing.headers['content-type']), /^text\/plain/);
      const boom = await api.get('/boom');
      assert.equal(boom.status, 500);
      assert.doesNotMatch(boom.text, /secret|at |Error/);
      assert.equal(api.errors.length, 1);
    } finally {
      await api.close();
    }
  });
});
