/**
 * The API server's requests and responses are created with the express app's prototypes
 * (explorer/server/server.ts), so express never re-parents them per request (the larger
 * part of its cost), and they answer pages and JSON as before.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApiServer } from '../../../explorer/server/index.js';
import { createExplorerPages } from '../../../explorer/web/index.js';
import { nodeStatusOf } from '../../e2e/explorer/pages-server.js';
import { FAKE_ACCOUNTS, FakeExplorerReader } from '../../support/fake-explorer-reader.js';

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
