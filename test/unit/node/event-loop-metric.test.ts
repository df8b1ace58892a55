/**
 * GET /api/v1/metrics carries the node's event-loop delay (src/node/node.ts): p50, p99 and
 * max in ms over the window since the previous read, in the OpenAPI document's Metrics. One
 * in-process validator over loopback.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LedgerNode, silentLogger } from '../../../src/node/index.js';
import { createTestNet, PASSPHRASE, type TestNet } from '../../e2e/helpers.js';

type Json = Record<string, unknown>;

describe('the eventLoop metric', () => {
  let net: TestNet;
  let node: LedgerNode;
  const get = async (path: string) =>
    (await (await fetch(`http://127.0.0.1:${node.apiPort}${path}`)).json()) as Json;

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
      logger: silentLogger,
    });
    await node.start();
  });
  after(async () => {
    await node?.stop();
    await rm(net.dir, { recursive: true, force: true });
  });

  it('reports p50 <= p99 <= max in ms, and a stall of the loop in the window that follows', async () => {
    const first = (await get('/api/v1/metrics')).eventLoop as Json;
    assert.deepEqual(Object.keys(first).sort(), ['maxMs', 'p50Ms', 'p99Ms']);
    // a 40 ms synchronous stretch: the histogram's 1 ms timer fires that much late
    const until = performance.now() + 40;
    while (performance.now() < until);
    await new Promise((resolve) => setImmediate(resolve));
    const { p50Ms, p99Ms, maxMs } = (await get('/api/v1/metrics')).eventLoop as Record<string, number>;
    for (const value of [p50Ms, p99Ms, maxMs]) assert.ok(Number.isFinite(value) && value >= 0);
    assert.ok(p50Ms <= p99Ms && p99Ms <= maxMs, `${p50Ms} <= ${p99Ms} <= ${maxMs}`);
    assert.ok(maxMs >= 30, `the 40 ms stall shows in max (${maxMs} ms)`);

    const doc = await get('/api/v1/openapi.json');
    const metrics = (doc.components as { schemas: Record<string, { properties: Json; required?: string[] }> })
      .schemas.Metrics;
    assert.ok(metrics.properties.eventLoop, 'the document describes eventLoop');
    assert.ok(!metrics.required?.includes('eventLoop'), 'optional: a NodeApi may not measure it');
  });
});
