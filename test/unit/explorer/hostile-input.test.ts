/**
 * Hostile input on every explorer route (issue 11, "Tests"): long, malformed,
 * percent-encoding garbage and injection-shaped values in every path and query parameter
 * (and Last-Event-ID) are always a 4xx `{error, message}` in JSON, never a 500; nothing is
 * quoted back as markup (`<` is escaped in JSON, and nosniff is sent), and no stack trace
 * or server path reaches the client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAKE_ACCOUNTS, FakeExplorerReader } from '../../support/fake-explorer-reader.js';
import { type Answer, nodeApiOver, type RunningApi, startApi } from './api-harness.js';

/** Values a client might send, before percent-encoding. */
const HOSTILE = [
  'x'.repeat(3000),
  '',
  '-1',
  '+1',
  '01',
  '1e3',
  '1.5',
  ' 1',
  '0x1',
  '9007199254740992',
  '99999999999999999999',
  `0x${'g'.repeat(64)}`,
  `0x${'a'.repeat(63)}`,
  `0x${'a'.repeat(65)}`,
  `0X${'a'.repeat(64)}`,
  `0x${'a'.repeat(39)}`,
  "1' OR '1'='1",
  '1; DROP TABLE blocks',
  '{"$ne":null}',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '\u0000',
  '\u202e\u0661',
  '\u{1F4A5}',
  'null',
  'NaN',
  'Infinity',
  '[]',
  // well-formed cursors of another list, of nothing, and of a position above the head
  Buffer.from('mempool:1').toString('base64url'),
  Buffer.from('blocks:99999999').toString('base64url'),
  Buffer.from('blocks:1:2:3').toString('base64url'),
  'AAAA',
];

/** Sent as they are: broken percent-encoding. */
const RAW = ['%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%2e%2e%2f%2e%2e%2f', '%ff%fe', '%3Cscript%3E'];

const ADDRESS = FAKE_ACCOUNTS[0];

/** Where a value goes: a path segment or a query parameter of each route. */
const SLOTS: Array<(v: string) => string> = [
  (v) => `/api/v1/txs/${v}`,
  (v) => `/api/v1/blocks/${v}`,
  (v) => `/api/v1/blocks/${v}/txs`,
  (v) => `/api/v1/accounts/${v}`,
  (v) => `/api/v1/accounts/${v}/txs`,
  (v) => `/api/v1/blocks?limit=${v}`,
  (v) => `/api/v1/blocks?cursor=${v}`,
  (v) => `/api/v1/blocks?before=${v}`,
  (v) => `/api/v1/blocks/100?limit=${v}`,
  (v) => `/api/v1/blocks/100/txs?cursor=${v}`,
  (v) => `/api/v1/blocks/100/txs?limit=${v}`,
  (v) => `/api/v1/accounts/${ADDRESS}/txs?cursor=${v}`,
  (v) => `/api/v1/accounts/${ADDRESS}/txs?limit=${v}`,
  (v) => `/api/v1/mempool?cursor=${v}`,
  (v) => `/api/v1/mempool?limit=${v}`,
  (v) => `/api/v1/search?q=${v}`,
  (v) => `/api/v1/events?since=${v}`,
  (v) => `/api/v1/stats?${v}=1`,
];

function assertRefused(path: string, res: Answer): void {
  const what = `${path.slice(0, 120)} -> ${res.status} ${res.text.slice(0, 200)}`;
  assert.ok(res.status >= 400 && res.status < 500, what);
  assert.match(String(res.headers['content-type']), /^application\/json/, what);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
  const body = res.body as { error?: unknown; message?: unknown };
  assert.equal(typeof body.error, 'string', what);
  assert.equal(typeof body.message, 'string', what);
  assert.ok(!res.text.includes('<'), `${what}: a raw < in the body`);
  assert.doesNotMatch(res.text, /\bat \S+ \(|node_modules|\/work\/|Error:/, what);
}

describe('explorer API: hostile input on every route', () => {
  let reader: FakeExplorerReader;
  let api: RunningApi;
  before(async () => {
    reader = new FakeExplorerReader();
    api = await startApi(nodeApiOver(reader), { requestsPerSecond: 100_000, burstRequests: 100_000 });
  });
  after(() => api.close());

  it('long, malformed and injection-shaped values in every parameter: a 4xx JSON refusal', async () => {
    let tried = 0;
    for (const slot of SLOTS) {
      for (const value of HOSTILE) {
        const path = slot(encodeURIComponent(value));
        // an empty query value is a parameter left out; the empty path segment is a different route
        if (value === '' && !path.includes('?')) continue;
        const res = await api.get(path);
        // not hostile there: a cursor the reader can page from, a search with spaces around a height
        const harmless = path.includes('cursor=') || (path.startsWith('/api/v1/search?') && value === ' 1');
        if (res.status === 200 && harmless) continue;
        assertRefused(path, res);
        tried++;
      }
      for (const value of RAW) {
        const path = slot(value);
        assertRefused(path, await api.get(path));
        tried++;
      }
    }
    assert.ok(tried > SLOTS.length * HOSTILE.length * 0.8, `only ${tried} refusals checked`);
    assert.deepEqual(api.errors, []);
  });

  it('a hostile Last-Event-ID is refused before any stream opens', async () => {
    for (const value of ['-1', 'abc', '1e3', '<script>', 'x'.repeat(2000), '99999999999999999999', '01']) {
      const path = '/api/v1/events';
      assertRefused(`${path} Last-Event-ID: ${value}`, await api.get(path, { 'last-event-id': value }));
    }
    assert.equal(reader.listenerCount(), 0);
  });

  it('a <script> in a search string or a parameter name is never quoted back as markup', async () => {
    const q = await api.get(`/api/v1/search?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    assert.equal(q.status, 400);
    assert.ok(!q.text.includes('script>'));
    const name = await api.get(`/api/v1/blocks?${encodeURIComponent('<script>alert(1)</script>')}=1`);
    assert.equal(name.status, 400);
    assert.equal((name.body as { error: string }).error, 'UNKNOWN_PARAMETER');
    assert.ok(!name.text.includes('<'), name.text);
    assert.match(name.text, /\\u003cscript/);
  });
});
