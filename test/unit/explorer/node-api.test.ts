/**
 * The HTTP bounds as `ledger node` wires them: LedgerNode's listenApi serves through
 * createApiServer with the node's `api` options (Host allow-list with the bound host,
 * timeouts), and the CLI flags reach those options. One in-process validator over
 * loopback; requests through node:http, which may set the Host header.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveNodeOptions } from '../../../src/cli/commands/node.js';
import { runCli } from '../../../src/cli/program.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { LedgerNode, silentLogger } from '../../../src/node/index.js';
import { signTransfer } from '../../../src/tx/index.js';
import { createTestNet, PASSPHRASE, type TestNet } from '../../e2e/helpers.js';

function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      res.on('end', () =>
        ok({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    });
    req.on('error', fail);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${method} ${path} within 5 s`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('LedgerNode API server', () => {
  let net: TestNet;
  let node: LedgerNode;

  before(async () => {
    net = await createTestNet(1, 1);
    node = await LedgerNode.init({
      genesisPath: net.genesisPath,
      keyPath: net.keyPaths[0],
      passphrase: PASSPHRASE,
      dataDir: join(net.dir, 'data'),
      listen: [],
      bootstrap: [],
      apiPort: 0,
      apiHost: '127.0.0.1',
      api: {
        allowedHosts: ['ledger.example.org'],
        headersTimeoutMs: 300,
        requestTimeoutMs: 600,
        connectionsCheckingIntervalMs: 50,
      },
      logger: silentLogger,
    });
    await node.start();
  });
  after(async () => {
    await node?.stop();
    await rm(net.dir, { recursive: true, force: true });
  });

  it('answers 127.0.0.1:PORT, localhost and the allowed name; refuses a foreign Host', async () => {
    const port = node.apiPort;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'ledger.example.org']) {
      const res = await send(port, 'GET', '/api/v1/status', { host });
      assert.equal(res.status, 200, host);
      assert.equal(res.body.role, 'validator');
    }
    const foreign = await send(port, 'GET', '/api/v1/status', { host: `attacker.example:${port}` });
    assert.deepEqual(foreign.status, 403);
    assert.equal(foreign.body.error, 'HOST_NOT_ALLOWED');
  });

  it('admits a signed transfer sent as JSON, refuses it as text/plain', async () => {
    const tx = signTransfer(
      {
        chainId: net.genesis.chainId,
        nonce: 0n,
        maxPriorityFeePerGas: 1_000_000_000n,
        maxFeePerGas: 2_000_000_000n,
        gasLimit: 21_000n,
        to: net.genesis.validators[0].address,
        value: 1n,
      },
      net.senders[0],
    );
    const body = JSON.stringify(toHex(tx.raw));
    const plain = await send(node.apiPort, 'POST', '/api/v1/txs', { 'content-type': 'text/plain' }, body);
    assert.equal(plain.status, 415);
    assert.equal(plain.body.error, 'UNSUPPORTED_MEDIA_TYPE');
    const json = await send(
      node.apiPort,
      'POST',
      '/api/v1/txs',
      { 'content-type': 'application/json' },
      body,
    );
    assert.equal(json.status, 202, JSON.stringify(json.body));
    assert.equal(json.body.hash, toHex(tx.hash));
  });

  it('serves the explorer pages beside the API, reading this node through its explorer reader', async () => {
    const page = await fetch(`http://127.0.0.1:${node.apiPort}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /Explore the ledger/);
    const block = await fetch(`http://127.0.0.1:${node.apiPort}/blocks/0`);
    assert.equal(block.status, 200, 'the genesis block page');
    const blocks = (await (await fetch(`http://127.0.0.1:${node.apiPort}/api/v1/blocks?limit=1`)).json()) as {
      items: Array<{ height: number }>;
    };
    assert.equal(blocks.items[0].height, node.status().height);
  });

  it('cuts off a client that does not finish its headers within headersTimeoutMs', async () => {
    const t0 = performance.now();
    const text = await new Promise<string>((ok, fail) => {
      const socket = connect(node.apiPort, '127.0.0.1');
      let got = '';
      const timer = setTimeout(() => {
        socket.destroy();
        fail(new Error('the node kept a half-sent request open for 3 s'));
      }, 3000);
      socket.on('data', (c: Buffer) => {
        got += c.toString('utf8');
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        ok(got);
      });
      socket.write('GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    });
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.ok(performance.now() - t0 < 2000);
  });
});

describe('ledger node: HTTP flags', () => {
  it('--api-allowed-hosts, --api-requests-per-second and friends reach the node options', () => {
    const base = { genesis: 'g.json', key: 'k.json', data: 'd' };
    const resolved = resolveNodeOptions(
      {
        ...base,
        apiAllowedHosts: 'a.example, b.example',
        apiRequestsPerSecond: 50,
        apiMaxConcurrentRequests: 4,
        apiMaxConnections: 100,
      },
      {},
    );
    assert.deepEqual(resolved.api, {
      allowedHosts: ['a.example', 'b.example'],
      requestsPerSecond: 50,
      burstRequests: 100,
      maxConcurrentRequestsPerClient: 4,
      maxConnections: 100,
      allowedOrigins: undefined,
      maxEventStreams: undefined,
      maxEventStreamsPerClient: undefined,
    });
    assert.equal(resolved.explorerPages, true);
    const fromEnv = resolveNodeOptions(base, {
      LEDGER_API_ALLOWED_HOSTS: 'c.example',
      LEDGER_API_CORS_ORIGINS: 'https://x.example',
    });
    assert.deepEqual(fromEnv.api.allowedHosts, ['c.example']);
    assert.deepEqual(fromEnv.api.allowedOrigins, ['https://x.example']);
    const explorerFlags = resolveNodeOptions(
      {
        ...base,
        apiCorsOrigins: 'https://a.example,https://b.example',
        apiMaxEventStreams: 10,
        apiMaxEventStreamsPerClient: 2,
        explorer: false,
      },
      {},
    );
    assert.deepEqual(explorerFlags.api.allowedOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(explorerFlags.api.maxEventStreams, 10);
    assert.equal(explorerFlags.api.maxEventStreamsPerClient, 2);
    assert.equal(explorerFlags.explorerPages, false);
    assert.equal(resolveNodeOptions({ ...base, memoryUpkeepMs: 0 }, {}).memoryUpkeepMs, 0);
    assert.equal(resolveNodeOptions(base, {}).memoryUpkeepMs, undefined, 'the node default applies');
    assert.equal(resolveNodeOptions({ ...base, mallocTrimMs: 0 }, {}).mallocTrimMs, 0);
    assert.equal(resolveNodeOptions(base, {}).mallocTrimMs, undefined, 'the node default applies');
  });

  it('--no-explorer serves the API without the pages', async () => {
    const net = await createTestNet(1, 1);
    const apiOnly = await LedgerNode.init({
      genesisPath: net.genesisPath,
      keyPath: net.keyPaths[0],
      passphrase: PASSPHRASE,
      dataDir: join(net.dir, 'data'),
      listen: [],
      bootstrap: [],
      apiPort: 0,
      apiHost: '127.0.0.1',
      explorerPages: false,
      logger: silentLogger,
    });
    try {
      await apiOnly.start();
      const base = `http://127.0.0.1:${apiOnly.apiPort}`;
      assert.equal((await fetch(`${base}/`)).status, 404);
      assert.equal((await fetch(`${base}/api/v1/blocks?limit=1`)).status, 200);
    } finally {
      await apiOnly.stop();
      await rm(net.dir, { recursive: true, force: true });
    }
  });

  it('a malformed limit is a usage error (exit 2)', async () => {
    let stderr = '';
    const code = await runCli(['node', '--api-requests-per-second', '0', '--log-level', 'silent'], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      env: {},
      cwd: process.cwd(),
    });
    assert.equal(code, 2);
    assert.match(stderr, /--api-requests-per-second/);
  });
});
