/**
 * The HTTP API's validation gate (explorer/server): every malformed input is a 4xx
 * {error, message}; mempool refusals keep their code with a status by kind. The app runs
 * on port 0 over a fake NodeApi; requests go through fetch.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createExplorerApp,
  HTTP_LIMITS,
  type NodeApi,
  type SubmitOutcome,
} from '../../../explorer/server/index.js';

const HASH = `0x${'11'.repeat(32)}`;
const PEER = { peerId: '16Uiu2HAm', role: 'validator', validator: 2, name: 'v2', score: -40 } as const;
const EVIDENCE = {
  kind: 'vote',
  round: 9,
  validator: 2,
  name: 'v2',
  first: '0x01',
  second: '0x02',
  recordedAtMs: 5,
} as const;

function fakeApi(submitted: Uint8Array[][]): NodeApi {
  return {
    status: () => ({
      chainId: '7',
      height: 3,
      headHash: HASH,
      round: 5,
      leader: { index: 1, name: 'v1', address: '0x00' },
      syncing: false,
      peers: 2,
      mempoolSize: 0,
      role: 'validator',
      validator: 0,
      peerId: 'p',
    }),
    peers: () => [PEER],
    metrics: () => ({ mempool: { admitted: 3 }, network: null, consensus: null }),
    evidence: () => [EVIDENCE],
    transactionStatus: (hash) => {
      const hex = `0x${Buffer.from(hash).toString('hex')}`;
      return hex === HASH
        ? { hash: hex, status: 'committed', height: 2, index: 0 }
        : { hash: hex, status: 'unknown' };
    },
    submitTransactions: async (raws) => {
      submitted.push([...raws]);
      return raws.map((raw): SubmitOutcome => {
        if (raw[0] === 0xee) return { error: 'NONCE_TOO_LOW', message: 'nonce', kind: 'state', hash: HASH };
        if (raw[0] === 0xdd) return { error: 'BAD_SIGNATURE', message: 'sig', kind: 'invalid' };
        if (raw[0] === 0xcc) return { error: 'MEMPOOL_FULL', message: 'full', kind: 'capacity' };
        return { hash: HASH };
      });
    },
    // no explorer reads here: the routes that need them answer 503, as before
    explorer: undefined as unknown as NodeApi['explorer'],
  };
}

describe('HTTP API gate', () => {
  const submitted: Uint8Array[][] = [];
  let server: Server;
  let base: string;

  before(async () => {
    const app = createExplorerApp(fakeApi(submitted));
    server = await new Promise<Server>((ok) => {
      const s = app.listen(0, '127.0.0.1', () => ok(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((ok) => server.close(() => ok())));

  const post = async (body: string, type = 'application/json') => {
    const res = await fetch(`${base}/api/v1/txs`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  async function expect400(body: string, code: string, type?: string) {
    const res = await post(body, type);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error, code);
    assert.equal(typeof res.body.message, 'string');
  }

  it('serves the status', async () => {
    const res = await fetch(`${base}/api/v1/status`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    for (const k of ['chainId', 'height', 'headHash', 'round', 'leader', 'syncing', 'peers', 'mempoolSize'])
      assert.ok(k in body, k);
  });

  it('serves peers with their scores, the evidence held and the metrics', async () => {
    const peers = await fetch(`${base}/api/v1/peers`);
    assert.equal(peers.status, 200);
    assert.deepEqual(await peers.json(), { peers: [PEER] });
    const evidence = await fetch(`${base}/api/v1/evidence`);
    assert.equal(evidence.status, 200);
    assert.deepEqual(await evidence.json(), { evidence: [EVIDENCE] });
    const metrics = await fetch(`${base}/api/v1/metrics`);
    const body = (await metrics.json()) as Record<string, unknown>;
    assert.deepEqual(
      { ...body, http: undefined },
      { mempool: { admitted: 3 }, network: null, consensus: null, http: undefined },
    );
    assert.deepEqual(Object.keys(body.http as object), ['refused', 'connectionsRefused', 'unparsedRequests']);
  });

  it('accepts a raw tx as a JSON string, and a batch', async () => {
    assert.deepEqual(await post('"0x0102"'), { status: 202, body: { hash: HASH } });
    const batch = await post('["0x01", "0xee01"]');
    assert.equal(batch.status, 200);
    assert.deepEqual(batch.body.results, [
      { hash: HASH },
      { error: 'NONCE_TOO_LOW', message: 'nonce', hash: HASH },
    ]);
    assert.deepEqual([...submitted.at(-1)![1]], [0xee, 0x01]);
  });

  it('maps mempool refusals by kind', async () => {
    assert.equal((await post('"0xee"')).status, 409);
    assert.equal((await post('"0xdd"')).status, 400);
    const full = await post('"0xcc"');
    assert.equal(full.status, 503);
    assert.deepEqual(full.body, { error: 'MEMPOOL_FULL', message: 'full' });
  });

  it('refuses malformed bodies with 400 {error, message}', async () => {
    const before = submitted.length;
    await expect400('{"tx": "0x01"}', 'INVALID_BODY');
    await expect400('["0x01" not json', 'MALFORMED_JSON');
    await expect400('{not json', 'INVALID_BODY');
    await expect400('12', 'INVALID_TX');
    await expect400('"0x123"', 'INVALID_TX');
    await expect400('"01ab"', 'INVALID_TX');
    await expect400('"0x"', 'INVALID_TX');
    await expect400('"0xzz"', 'INVALID_TX');
    await expect400('[]', 'EMPTY_BATCH');
    await expect400('["0x01", 5]', 'INVALID_TX');
    await expect400(JSON.stringify(Array(HTTP_LIMITS.batchMaxTxs + 1).fill('0x01')), 'BATCH_TOO_LARGE');
    await expect400(JSON.stringify(`0x${'ab'.repeat(600)}`), 'TX_TOO_LARGE');
    assert.equal(submitted.length, before, 'nothing malformed reached the node');
  });

  it('refuses a body that is not JSON with 415, and one over the limit with 413', async () => {
    const before = submitted.length;
    for (const type of ['text/plain', 'application/xml', 'application/octet-stream']) {
      const res = await post('0x01', type);
      assert.equal(res.status, 415, type);
      assert.equal(res.body.error, 'UNSUPPORTED_MEDIA_TYPE');
    }
    const big = await post(JSON.stringify('x'.repeat(HTTP_LIMITS.bodyBytes + 10)));
    assert.equal(big.status, 413);
    assert.equal(big.body.error, 'BODY_TOO_LARGE');
    assert.equal(submitted.length, before, 'nothing refused reached the node');
  });

  it('validates the hash parameter', async () => {
    const ok = await fetch(`${base}/api/v1/txs/${HASH}`);
    assert.deepEqual(await ok.json(), { hash: HASH, status: 'committed', height: 2, index: 0 });
    for (const bad of ['0x12', `${'11'.repeat(32)}`, `0x${'g1'.repeat(32)}`, `0x${'11'.repeat(33)}`]) {
      const res = await fetch(`${base}/api/v1/txs/${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(((await res.json()) as { error: string }).error, 'INVALID_HASH');
    }
  });

  it('answers unknown API routes with 404 JSON', async () => {
    const res = await fetch(`${base}/api/v1/nope`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'NOT_FOUND');
  });
});
