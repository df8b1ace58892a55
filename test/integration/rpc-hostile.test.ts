/**
 * Hostile input to the Ethereum JSON-RPC of a real node (issue 13): every malformed HTTP
 * request is answered with a JSON-RPC error and HTTP 200 (clients read any other status as a
 * broken transport), on the RPC port and on /rpc of the API port, and the node keeps
 * answering; over WebSocket, malformed messages, the message rate, the subscription cap, the
 * connection cap, an oversized message and a reader that stops reading each meet their
 * bound without a crash. One validator of a four-validator genesis runs alone: nothing here
 * needs a commit, so the other three stay down and keep the CPU.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { LedgerNode } from '../../src/node/index.js';
import { DEFAULT_RPC_OPTIONS, RPC_ERRORS } from '../../src/rpc/index.js';
import { waitUntil } from '../e2e/helpers.js';
import { type ByzantineNet, byzantineNet } from '../support/byzantine-net.js';
import { postRaw, RpcSocket, rpc } from '../support/rpc-client.js';
import { assertShape, errorResponse } from '../support/rpc-schemas.js';

const MAX_CONNECTIONS = 4;
const MAX_BUFFERED_BYTES = 256 * 1024;
const REQUESTS_PER_SECOND = 10;
const BURST_REQUESTS = 100;

const call = (method: string, params: unknown = [], id: unknown = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, params });

interface HostileCase {
  name: string;
  body?: string | Blob;
  headers?: Record<string, string>;
  method?: string;
  code: number;
}

const HTTP_CASES: HostileCase[] = [
  { name: 'malformed JSON', body: '{"jsonrpc":"2.0","id":1,', code: RPC_ERRORS.PARSE_ERROR },
  { name: 'an empty body', body: '', code: RPC_ERRORS.PARSE_ERROR },
  { name: 'JSON that is not a request', body: '"eth_chainId"', code: RPC_ERRORS.INVALID_REQUEST },
  { name: 'an empty batch', body: '[]', code: RPC_ERRORS.INVALID_REQUEST },
  {
    name: 'a batch over the cap',
    body: `[${Array.from({ length: DEFAULT_RPC_OPTIONS.maxBatchCalls + 1 }, (_, i) => call('eth_chainId', [], i)).join(',')}]`,
    code: RPC_ERRORS.LIMIT_EXCEEDED,
  },
  {
    name: 'a body over the byte bound',
    body: call('eth_chainId', ['x'.repeat(DEFAULT_RPC_OPTIONS.maxRequestBytes)]),
    code: RPC_ERRORS.LIMIT_EXCEEDED,
  },
  {
    name: 'a method that is a number',
    body: '{"jsonrpc":"2.0","id":1,"method":5}',
    code: RPC_ERRORS.INVALID_REQUEST,
  },
  {
    name: 'an id that is an object',
    body: '{"jsonrpc":"2.0","id":{},"method":"eth_chainId"}',
    code: RPC_ERRORS.INVALID_REQUEST,
  },
  { name: 'params that are a string', body: call('eth_chainId', 'x'), code: RPC_ERRORS.INVALID_PARAMS },
  {
    name: 'a block number as a JSON number',
    body: call('eth_getBlockByNumber', [1, false]),
    code: RPC_ERRORS.INVALID_PARAMS,
  },
  {
    name: 'an unknown block tag',
    body: call('eth_getBlockByNumber', ['head', false]),
    code: RPC_ERRORS.INVALID_PARAMS,
  },
  { name: 'an unknown method', body: call('eth_sign', []), code: RPC_ERRORS.METHOD_NOT_FOUND },
  { name: 'a prototype member as a method', body: call('__proto__', []), code: RPC_ERRORS.METHOD_NOT_FOUND },
  {
    name: 'parameters by name',
    body: call('eth_getBalance', { address: `0x${'11'.repeat(20)}`, block: 'latest' }),
    code: RPC_ERRORS.INVALID_PARAMS,
  },
  {
    name: 'a huge string parameter',
    body: call('eth_getBalance', [`0x${'ab'.repeat(500_000)}`, 'latest']),
    code: RPC_ERRORS.INVALID_PARAMS,
  },
  {
    name: 'a huge raw transaction',
    body: call('eth_sendRawTransaction', [`0x02${'ab'.repeat(600_000)}`]),
    code: RPC_ERRORS.INVALID_PARAMS,
  },
  { name: 'a huge method name', body: call('m'.repeat(1_000_000)), code: RPC_ERRORS.INVALID_REQUEST },
  { name: 'nesting a million deep', body: '['.repeat(1_000_000), code: RPC_ERRORS.INVALID_REQUEST },
  {
    name: 'Content-Type text/plain',
    body: call('eth_chainId'),
    headers: { 'content-type': 'text/plain' },
    code: RPC_ERRORS.INVALID_REQUEST,
  },
  {
    name: 'a form Content-Type',
    body: call('eth_chainId'),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    code: RPC_ERRORS.INVALID_REQUEST,
  },
  {
    name: 'no Content-Type',
    body: new Blob([call('eth_chainId')]),
    headers: {},
    code: RPC_ERRORS.INVALID_REQUEST,
  },
  {
    name: 'a compressed body',
    body: call('eth_chainId'),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    code: RPC_ERRORS.INVALID_REQUEST,
  },
  { name: 'GET', method: 'GET', headers: {}, code: RPC_ERRORS.INVALID_REQUEST },
  { name: 'PUT', method: 'PUT', body: call('eth_chainId'), code: RPC_ERRORS.INVALID_REQUEST },
];

/** A request with a Host header of our choosing (fetch sets its own). */
function requestWithHost(port: number, path: string, host: string, body: string) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { host, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('hostile input to the JSON-RPC of a real node', { timeout: 60_000 }, () => {
  let net: ByzantineNet;
  let node: LedgerNode;
  let rpcUrl: string;
  let apiRpcUrl: string;
  let wsUrl: string;

  before(async () => {
    net = await byzantineNet({ chainId: 4242n });
    node = await net.startNode(0, {
      rpcPort: 0,
      api: { requestsPerSecond: REQUESTS_PER_SECOND, burstRequests: BURST_REQUESTS },
      rpc: { maxWebSocketConnections: MAX_CONNECTIONS, maxWebSocketBufferedBytes: MAX_BUFFERED_BYTES },
    });
    rpcUrl = `http://127.0.0.1:${node.rpcPort}`;
    apiRpcUrl = `http://127.0.0.1:${node.apiPort}/rpc`;
    wsUrl = `ws://127.0.0.1:${node.rpcPort}`;
  });
  after(async () => {
    await net?.stop();
  });

  const stillAnswers = async (url: string) => assert.equal(await rpc(url, 'eth_chainId'), '0x1092');

  for (const [port, url] of [
    ['the RPC port', () => rpcUrl],
    ['/rpc of the API port', () => apiRpcUrl],
  ] as const)
    it(`answers each malformed request on ${port} with a JSON-RPC error and HTTP 200`, async () => {
      for (const c of HTTP_CASES) {
        const answer = await postRaw(url(), c.body ?? '', c.headers, c.method);
        assert.equal(answer.status, 200, `${c.name}: HTTP ${answer.status}`);
        assertShape(errorResponse, answer.body, c.name);
        const { error } = answer.body as { error: { code: number; message: string } };
        assert.equal(error.code, c.code, `${c.name}: ${error.message}`);
        assert.ok(
          !/\/work\/|node_modules|\bat \w+ \(/.test(error.message),
          `${c.name} leaks: ${error.message}`,
        );
      }
      await stillAnswers(url());
    });

  it('refuses a Host it does not serve with a JSON-RPC error, on both ports', async () => {
    for (const [port, path] of [
      [node.rpcPort, '/'],
      [node.apiPort, '/rpc'],
    ] as const) {
      const answer = await requestWithHost(port, path, 'rebinding.example', call('eth_chainId'));
      assert.equal(answer.status, 200);
      assertShape(errorResponse, answer.body, 'foreign Host');
      // the RPC port's own address is admitted
      const own = await requestWithHost(port, path, `127.0.0.1:${port}`, call('eth_chainId'));
      assert.deepEqual(own.body, { jsonrpc: '2.0', id: 1, result: '0x1092' });
    }
  });

  it('grants no web page CORS by default', async () => {
    const answer = await postRaw(rpcUrl, call('eth_chainId'), {
      'content-type': 'application/json',
      origin: 'https://evil.example',
    });
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
  });

  it('counts a batch as one request: 1000 calls, beyond the burst of single requests, all answered in order', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      jsonrpc: '2.0',
      id: `c${i}`,
      method: i % 2 ? 'eth_blockNumber' : 'eth_getBalance',
      params: i % 2 ? [] : [`0x${i.toString(16).padStart(40, '0')}`, 'latest'],
    }));
    assert.ok(batch.length > BURST_REQUESTS);
    const answer = await postRaw(rpcUrl, JSON.stringify(batch));
    assert.equal(answer.status, 200);
    const results = answer.body as Array<{ id: string; result: string }>;
    assert.deepEqual(
      results.map((r) => r.id),
      batch.map((c) => c.id),
    );
    assert.ok(results.every((r) => typeof r.result === 'string'));
  });

  it('WebSocket: answers malformed messages with errors and keeps the connection', async () => {
    const socket = await RpcSocket.open(wsUrl);
    try {
      for (const [message, code] of [
        ['{"jsonrpc":', RPC_ERRORS.PARSE_ERROR],
        ['[]', RPC_ERRORS.INVALID_REQUEST],
        ['['.repeat(100_000), RPC_ERRORS.INVALID_REQUEST],
        [call('eth_subscribe', ['logs', {}], 'l'), RPC_ERRORS.UNSUPPORTED],
        [call('eth_subscribe', ['newHeads', { includeTransactions: true }], 'n'), RPC_ERRORS.INVALID_PARAMS],
        [call('eth_unsubscribe', [42], 'u'), RPC_ERRORS.INVALID_PARAMS],
        [call('eth_getBlockByNumber', ['head', false], 'h'), RPC_ERRORS.INVALID_PARAMS],
      ] as const) {
        const from = socket.messages.length;
        socket.send(message);
        const answer = await socket.waitFor('an answer', () => true, 10_000, from);
        assertShape(errorResponse, answer, message.slice(0, 40));
        assert.equal((answer as { error: { code: number } }).error.code, code, message.slice(0, 40));
      }
      assert.equal((await socket.call('eth_chainId')).result, '0x1092');
    } finally {
      socket.close();
    }
  });

  it('WebSocket: refuses subscriptions over the cap with LIMIT_EXCEEDED', async () => {
    const socket = await RpcSocket.open(wsUrl);
    try {
      const ids: string[] = [];
      for (let i = 0; i < DEFAULT_RPC_OPTIONS.maxSubscriptionsPerConnection; i++)
        ids.push((await socket.call('eth_subscribe', ['newHeads'])).result as string);
      assert.equal(new Set(ids).size, ids.length);
      const over = await socket.call('eth_subscribe', ['newHeads']);
      assert.equal((over.error as { code: number }).code, RPC_ERRORS.LIMIT_EXCEEDED);
      // one unsubscribed makes room again
      assert.equal((await socket.call('eth_unsubscribe', [ids[0]])).result, true);
      assert.match((await socket.call('eth_subscribe', ['newHeads'])).result as string, /^0x[0-9a-f]+$/);
    } finally {
      socket.close();
    }
  });

  it('WebSocket: messages beyond the rate are refused, a flood past the queue closes the connection', async () => {
    const socket = await RpcSocket.open(wsUrl);
    try {
      // groups within the queue's bound, each sent at once: far above the rate on any machine
      const group = DEFAULT_RPC_OPTIONS.maxWebSocketQueuedMessages - 8;
      const count = group * Math.ceil((3 * DEFAULT_RPC_OPTIONS.webSocketMessagesPerSecond) / group);
      for (let sent = 0; sent < count; sent += group) {
        for (let i = sent; i < sent + group; i++) socket.send(call('eth_chainId', [], i));
        await socket.waitFor(`the answers up to ${sent + group}`, () => true, 10_000, sent + group - 1);
      }
      const limited = socket.messages.filter(
        (m) => (m as { error?: { code: number } }).error?.code === RPC_ERRORS.LIMIT_EXCEEDED,
      );
      assert.ok(limited.length > 0 && limited.length < count, `${limited.length} of ${count} refused`);
    } finally {
      socket.close();
    }
    const flood = await RpcSocket.open(wsUrl);
    for (let i = 0; i < DEFAULT_RPC_OPTIONS.maxWebSocketQueuedMessages + 20; i++)
      flood.send(call('eth_feeHistory', ['0x400', 'latest'], i));
    assert.equal((await flood.waitClosed()).code, 1008);
  });

  it('WebSocket: closes a connection whose message is over the byte bound', async () => {
    const socket = await RpcSocket.open(wsUrl);
    socket.send(call('eth_chainId', ['x'.repeat(DEFAULT_RPC_OPTIONS.maxRequestBytes)]));
    assert.equal((await socket.waitClosed()).code, 1009);
  });

  it('WebSocket: drops a reader that stops reading once its unsent answers pass the bound', async () => {
    const openOnServer = () =>
      (node as unknown as { rpcSockets: Array<{ connections(): number }> }).rpcSockets.reduce(
        (sum, s) => sum + s.connections(),
        0,
      );
    await waitUntil(
      'earlier connections to close',
      async () => (openOnServer() === 0 ? true : undefined),
      10_000,
      50,
    );
    const socket = await RpcSocket.open(wsUrl);
    const tcp = (socket.ws as unknown as { _socket: Socket })._socket;
    tcp.pause();
    // each answer about 1.3 MB: the kernel's buffers fill, then the server's queue grows
    const batch = `[${Array.from({ length: 1000 }, (_, i) => call('eth_getBlockByNumber', ['latest', false], i)).join(',')}]`;
    for (let i = 0; i < 16; i++) socket.send(batch);
    await waitUntil(
      'the server to drop the reader',
      async () => (openOnServer() === 0 ? true : undefined),
      20_000,
      50,
    );
    tcp.resume();
    // dropped, not closed with a frame: the reader finds the connection gone
    assert.equal((await socket.waitClosed(20_000)).code, 1006);
    assert.ok(socket.messages.length < 16, `${socket.messages.length} answers reached the reader`);
    await stillAnswers(rpcUrl);
  });

  it(`WebSocket: refuses connections over the cap of ${MAX_CONNECTIONS}, and a foreign Origin or Host`, async () => {
    const open: RpcSocket[] = [];
    try {
      // the earlier tests' connections may still be closing
      await waitUntil(
        'room for the connections',
        async () => {
          const socket = await RpcSocket.open(wsUrl).catch(() => undefined);
          if (socket) open.push(socket);
          return open.length === MAX_CONNECTIONS ? true : undefined;
        },
        10_000,
        50,
      );
      await assert.rejects(RpcSocket.open(wsUrl), /HTTP 503/);
      for (const s of open.splice(0)) s.close();
      await assert.rejects(RpcSocket.open(wsUrl, { origin: 'https://evil.example' }), /HTTP 403/);
      await assert.rejects(RpcSocket.open(wsUrl, { host: 'rebinding.example' }), /HTTP 403/);
      await assert.rejects(RpcSocket.open(`${wsUrl}/elsewhere`), /HTTP 404/);
    } finally {
      for (const s of open) s.close();
    }
  });

  it("answers the rate limiter's refusals as JSON-RPC errors with HTTP 200, then answers again", async () => {
    // a few connections, each sending as fast as it is answered (more connections than the
    // per-client cap would be closed on arrival, before any answer)
    const lanes = 10;
    const perLane = Math.ceil((BURST_REQUESTS + 150) / lanes);
    const answers = (
      await Promise.all(
        Array.from({ length: lanes }, async () => {
          const mine = [];
          for (let i = 0; i < perLane; i++) mine.push(await postRaw(rpcUrl, call('eth_blockNumber')));
          return mine;
        }),
      )
    ).flat();
    assert.ok(answers.every((a) => a.status === 200));
    const refused = answers.filter((a) => (a.body as { error?: unknown }).error !== undefined);
    assert.ok(refused.length > 0, 'some requests over the burst are refused');
    for (const a of refused) {
      assertShape(errorResponse, a.body, 'a refusal of the limiter');
      assert.equal((a.body as { error: { code: number } }).error.code, RPC_ERRORS.LIMIT_EXCEEDED);
    }
    await waitUntil(
      'the node to answer again',
      async () => (await stillAnswers(rpcUrl)) ?? true,
      10_000,
      200,
    );
  });
});
