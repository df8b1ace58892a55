/**
 * The HTTP API as a hostile client meets it (issue 10, item 11 and "found by trying the
 * node"): every bad request is a 4xx `{error, message}`, never a 500 or an empty answer;
 * POST bodies are application/json only; a Host that is a foreign DNS name is refused
 * (DNS rebinding); one client's requests per second, requests in progress and connections
 * are bounded; a client that sends its headers slowly is cut off. The server is the real
 * one (createApiServer) on port 0 over a fake NodeApi; requests go through node:http or a
 * raw socket, since fetch may not set Host or send a malformed request.
 */
import assert from 'node:assert/strict';
import { request, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type ApiServerOptions,
  createApiServer,
  HTTP_LIMITS,
  type NodeApi,
  type SubmitOutcome,
} from '../../../explorer/server/index.js';

const HASH = `0x${'11'.repeat(32)}`;

function fakeApi(submitted: Uint8Array[][]): NodeApi {
  return {
    status: () => ({
      chainId: '7',
      height: 3,
      headHash: HASH,
      round: 5,
      leader: null,
      syncing: false,
      peers: 0,
      mempoolSize: 0,
      role: 'observer',
      peerId: 'p',
    }),
    peers: () => [],
    metrics: () => ({ mempool: {}, network: null, consensus: null }),
    evidence: () => [],
    transactionStatus: (hash) => ({ hash: `0x${Buffer.from(hash).toString('hex')}`, status: 'unknown' }),
    submitTransactions: async (raws) => {
      submitted.push([...raws]);
      return raws.map((): SubmitOutcome => ({ hash: HASH }));
    },
    // no explorer reads here: the routes that need them answer 503, as before
    explorer: undefined as unknown as NodeApi['explorer'],
  };
}

interface Started {
  server: Server;
  port: number;
  submitted: Uint8Array[][];
  errors: unknown[];
  close: () => Promise<void>;
}

async function start(server: Partial<ApiServerOptions> = {}, nowMs?: () => number): Promise<Started> {
  const submitted: Uint8Array[][] = [];
  const errors: unknown[] = [];
  const http = createApiServer(fakeApi(submitted), {
    server,
    boundHost: '127.0.0.1',
    nowMs,
    onError: (err) => errors.push(err),
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', () => ok()));
  return {
    server: http,
    port: (http.address() as AddressInfo).port,
    submitted,
    errors,
    close: () =>
      new Promise<void>((ok) => {
        http.close(() => ok());
        http.closeAllConnections();
      }),
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  text: string;
}

/** One request over node:http, with headers as given (Host included), on a new connection. */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
  localAddress?: string,
): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {}
          ok({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('error', fail);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${method} ${path} within 5 s`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Writes raw bytes on a new socket and reads until the server closes it (bounded). */
function raw(
  port: number,
  bytes: string,
  timeoutMs = 5000,
): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new Error(`server did not close the connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      ok({ text: Buffer.concat(chunks).toString('utf8'), closedAfterMs: performance.now() - t0 });
    });
    socket.write(bytes);
  });
}

/** The JSON body of a raw HTTP answer. */
function jsonOf(text: string): Record<string, unknown> {
  const at = text.indexOf('\r\n\r\n');
  assert.ok(at > 0, `not an HTTP answer: ${JSON.stringify(text.slice(0, 200))}`);
  return JSON.parse(text.slice(at + 4)) as Record<string, unknown>;
}

function assertError(res: Answer, status: number, code: string, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.body.error, code, `${what}: ${res.text}`);
  assert.equal(typeof res.body.message, 'string', what);
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('HTTP API: bad requests are 4xx JSON', () => {
  let api: Started;
  before(async () => {
    api = await start();
  });
  after(() => api.close());

  it('a body with Content-Encoding gzip, br or deflate is 415, compressed or not', async () => {
    for (const encoding of ['gzip', 'br', 'deflate']) {
      const res = await send(
        api.port,
        'POST',
        '/api/v1/txs',
        { ...JSON_TYPE, 'content-encoding': encoding },
        'not compressed',
      );
      assertError(res, 415, 'UNSUPPORTED_ENCODING', encoding);
    }
    assert.deepEqual(api.errors, [], 'no request reached the 500 path');
    assert.equal(api.submitted.length, 0);
  });

  it('malformed percent-encoding in a path parameter is 400', async () => {
    for (const bad of ['%E0%A4%A', '%FF%FE%FD', '%ED%A0%80', '%', '%zz']) {
      const res = await send(api.port, 'GET', `/api/v1/txs/${bad}`);
      assertError(res, 400, 'INVALID_PATH_ENCODING', bad);
    }
    assert.deepEqual(api.errors, [], 'no request reached the 500 path');
  });

  it('a body over the limit is 413, with or without a Content-Length', async () => {
    const big = JSON.stringify('x'.repeat(HTTP_LIMITS.bodyBytes + 10));
    assertError(await send(api.port, 'POST', '/api/v1/txs', JSON_TYPE, big), 413, 'BODY_TOO_LARGE', 'sized');
    const chunked = await send(
      api.port,
      'POST',
      '/api/v1/txs',
      { ...JSON_TYPE, 'transfer-encoding': 'chunked' },
      big,
    );
    assertError(chunked, 413, 'BODY_TOO_LARGE', 'chunked');
  });

  it('an over-long URL or header is a JSON 431; a malformed request a JSON 400', async () => {
    const long = await raw(
      api.port,
      `GET /api/v1/txs/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    );
    assert.match(long.text, /^HTTP\/1\.1 431 /);
    assert.equal(jsonOf(long.text).error, 'HEADERS_TOO_LARGE');
    const header = await raw(
      api.port,
      `GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: ${'b'.repeat(20_000)}\r\n\r\n`,
    );
    assert.match(header.text, /^HTTP\/1\.1 431 /);
    const junk = await raw(api.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(junk.text, /^HTTP\/1\.1 400 /);
    assert.equal(jsonOf(junk.text).error, 'MALFORMED_REQUEST');
    const metrics = await send(api.port, 'GET', '/api/v1/metrics');
    assert.equal((metrics.body.http as { unparsedRequests: number }).unparsedRequests, 3);
  });

  it('a JSON body that is not a string or a flat array of at most batchMaxTxs is refused before it is parsed', async () => {
    // each of these made JSON.parse build up to a million values, blocking the event loop,
    // before the shape was checked
    const bombs: [string, string, string][] = [
      ['deep, unclosed', '['.repeat(HTTP_LIMITS.bodyBytes - 10), 'INVALID_BODY'],
      [
        'deep, closed',
        `${'['.repeat(HTTP_LIMITS.bodyBytes / 2 - 10)}${']'.repeat(HTTP_LIMITS.bodyBytes / 2 - 10)}`,
      ],
      [
        'deep objects',
        `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`.slice(0, HTTP_LIMITS.bodyBytes - 10),
      ],
      [
        'many numbers',
        `[${Array(HTTP_LIMITS.bodyBytes / 2 - 1)
          .fill('0')
          .join(',')}]`,
        'BATCH_TOO_LARGE',
      ],
    ].map(([what, body, code]) => [what, body, code ?? 'INVALID_BODY']);
    for (const [what, body, code] of bombs) {
      const t0 = performance.now();
      const res = await send(api.port, 'POST', '/api/v1/txs', JSON_TYPE, body);
      assertError(res, 400, code, what);
      assert.ok(performance.now() - t0 < 1000, `${what}: answered after ${performance.now() - t0} ms`);
    }
    // brackets and braces inside strings are data, not structure
    const quoted = await send(api.port, 'POST', '/api/v1/txs', JSON_TYPE, '["[[{", "0x01"]');
    assertError(quoted, 400, 'INVALID_TX', 'quoted brackets');
    const utf16 = await send(
      api.port,
      'POST',
      '/api/v1/txs',
      { 'content-type': 'application/json; charset=utf-16le' },
      Buffer.from('"0x01"', 'utf16le'),
    );
    assertError(utf16, 415, 'UNSUPPORTED_ENCODING', 'utf-16');
    assert.equal(api.submitted.length, 0);
  });

  it('an unknown API path or method is a JSON 404; outside /api a plain one (the pages answer there)', async () => {
    assertError(await send(api.port, 'GET', '/api/nope'), 404, 'NOT_FOUND', '/api/nope');
    assertError(await send(api.port, 'PUT', '/api/v1/txs', JSON_TYPE, '"0x01"'), 404, 'NOT_FOUND', 'PUT');
    const outside = await send(api.port, 'GET', '/nope');
    assert.equal(outside.status, 404);
    assert.match(String(outside.headers['content-type']), /^text\/plain/);
  });
});

describe('HTTP API: only JSON bodies, only known Host names', () => {
  let api: Started;
  before(async () => {
    api = await start({ allowedHosts: ['ledger.example.org'] });
  });
  after(() => api.close());

  it('a POST that is not application/json is 415 (text/plain is a CORS-simple request)', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await send(api.port, 'POST', '/api/v1/txs', { 'content-type': type }, '"0x01"');
      assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', type);
    }
    assertError(
      await send(api.port, 'POST', '/api/v1/txs', {}, '"0x01"'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'none',
    );
    assert.equal(api.submitted.length, 0, 'nothing reached the node');
    const json = await send(
      api.port,
      'POST',
      '/api/v1/txs',
      { 'content-type': 'application/json; charset=utf-8' },
      '"0x01"',
    );
    assert.equal(json.status, 202, json.text);
  });

  it('a Host that is a foreign DNS name is 403; localhost, IP literals and allowed names pass', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${api.port}`,
      'localhost.evil.example',
      'ledger.example.org.evil',
    ]) {
      const res = await send(api.port, 'GET', '/api/v1/status', { host });
      assertError(res, 403, 'HOST_NOT_ALLOWED', host);
    }
    const rebound = await send(
      api.port,
      'POST',
      '/api/v1/txs',
      { ...JSON_TYPE, host: 'evil.example' },
      '"0x01"',
    );
    assertError(rebound, 403, 'HOST_NOT_ALLOWED', 'POST');
    assert.equal(api.submitted.length, 1, 'the rebound POST did not reach the node');
    for (const host of [
      `127.0.0.1:${api.port}`,
      `localhost:${api.port}`,
      'LOCALHOST.',
      `[::1]:${api.port}`,
      '10.1.2.3:8080',
      'ledger.example.org',
    ]) {
      const res = await send(api.port, 'GET', '/api/v1/status', { host });
      assert.equal(res.status, 200, `${host}: ${res.text}`);
    }
  });

  it("'*' answers any Host", async () => {
    const open = await start({ allowedHosts: ['*'] });
    try {
      assert.equal((await send(open.port, 'GET', '/api/v1/status', { host: 'evil.example' })).status, 200);
    } finally {
      await open.close();
    }
  });
});

describe('HTTP API: per-client limits', () => {
  it('a client over its requests per second gets 429 with Retry-After; another client does not', async () => {
    let nowMs = 0;
    const api = await start({ requestsPerSecond: 2, burstRequests: 5 }, () => nowMs);
    try {
      for (let i = 0; i < 5; i++) assert.equal((await send(api.port, 'GET', '/api/v1/status')).status, 200);
      const refused = await send(api.port, 'GET', '/api/v1/status');
      assertError(refused, 429, 'RATE_LIMITED', 'sixth request');
      assert.equal(refused.headers['retry-after'], '1');
      // a refused POST's body is not read, and it does not reach the node
      const post = await send(api.port, 'POST', '/api/v1/txs', JSON_TYPE, '"0x01"');
      assertError(post, 429, 'RATE_LIMITED', 'POST');
      assert.equal(api.submitted.length, 0);
      // another loopback address is another client
      const other = await send(api.port, 'GET', '/api/v1/status', {}, undefined, '127.0.0.2');
      assert.equal(other.status, 200, other.text);
      nowMs += 1000;
      assert.equal((await send(api.port, 'GET', '/api/v1/status')).status, 200);
      assert.equal((await send(api.port, 'GET', '/api/v1/status')).status, 200);
      assert.equal((await send(api.port, 'GET', '/api/v1/status')).status, 429);
      const metrics = await send(api.port, 'GET', '/api/v1/metrics', {}, undefined, '127.0.0.2');
      assert.deepEqual((metrics.body.http as { refused: object }).refused, { RATE_LIMITED: 3 });
    } finally {
      await api.close();
    }
  });

  it('a client with too many requests in progress gets 429 for one more', async () => {
    const api = await start({ maxConcurrentRequestsPerClient: 3 });
    const pending: Socket[] = [];
    try {
      // three POSTs whose bodies never finish arriving hold the client's three slots
      for (let i = 0; i < 3; i++) {
        const socket = connect(api.port, '127.0.0.1');
        socket.on('error', () => {});
        socket.write(
          `POST /api/v1/txs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"0x`,
        );
        pending.push(socket);
      }
      const refused = await waitForAnswer(api.port, 429);
      assertError(refused, 429, 'RATE_LIMITED', 'fourth request');
      assert.match(String(refused.body.message), /in progress/);
      const other = await send(api.port, 'GET', '/api/v1/status', {}, undefined, '127.0.0.2');
      assert.equal(other.status, 200, 'another client is not held up');
      for (const s of pending) s.destroy();
      await waitForAnswer(api.port, 200);
    } finally {
      for (const s of pending) s.destroy();
      await api.close();
    }
  });

  it('a client past its connection cap has the new connection closed', async () => {
    const api = await start({ maxConnectionsPerClient: 4 });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const socket = connect(api.port, '127.0.0.1');
        socket.on('error', () => {});
        held.push(socket);
        await new Promise<void>((ok) => socket.once('connect', () => ok()));
      }
      const fifth = await raw(api.port, 'GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      assert.equal(fifth.text, '', 'the fifth connection is closed unanswered');
      const other = await send(api.port, 'GET', '/api/v1/status', {}, undefined, '127.0.0.2');
      assert.equal(other.status, 200, 'another client still connects');
      const metrics = await send(api.port, 'GET', '/api/v1/metrics', {}, undefined, '127.0.0.2');
      assert.equal((metrics.body.http as { connectionsRefused: number }).connectionsRefused, 1);
    } finally {
      for (const s of held) s.destroy();
      await api.close();
    }
  });

  it('a client that sends its headers slowly is answered 408 and cut off', async () => {
    const api = await start({
      headersTimeoutMs: 200,
      requestTimeoutMs: 400,
      connectionsCheckingIntervalMs: 50,
    });
    try {
      const slow = await raw(api.port, 'GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n', 3000);
      assert.match(slow.text, /^HTTP\/1\.1 408 /);
      assert.equal(jsonOf(slow.text).error, 'REQUEST_TIMEOUT');
      assert.ok(slow.closedAfterMs < 2000, `closed after ${slow.closedAfterMs} ms`);
    } finally {
      await api.close();
    }
  });

  it('the defaults do not throttle a local benchmark: 600 requests, 32 at a time, from one client', async () => {
    const api = await start();
    try {
      const body = JSON.stringify(Array.from({ length: 20 }, () => '0x01'));
      const statuses = new Map<number, number>();
      let next = 0;
      const worker = async () => {
        while (next < 600) {
          const i = next++;
          const res =
            i % 4 === 0
              ? await send(api.port, 'GET', '/api/v1/status')
              : await send(api.port, 'POST', '/api/v1/txs', JSON_TYPE, body);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 32 }, worker));
      assert.deepEqual([...statuses.keys()].sort(), [200], JSON.stringify([...statuses]));
    } finally {
      await api.close();
    }
  });
});

/** Sends GET /api/v1/status until it gets `status` (the server takes the pending requests in its own time). */
async function waitForAnswer(port: number, status: number, timeoutMs = 3000): Promise<Answer> {
  const deadline = performance.now() + timeoutMs;
  let last: Answer | undefined;
  while (performance.now() < deadline) {
    last = await send(port, 'GET', '/api/v1/status');
    if (last.status === status) return last;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no ${status} within ${timeoutMs} ms; last answer ${last?.status} ${last?.text}`);
}
