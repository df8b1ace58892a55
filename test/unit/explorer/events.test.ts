/**
 * GET /api/v1/events (issue 11, live updates): blocks arrive in order, each once; a client
 * that reconnects with Last-Event-ID (or ?since) gets exactly the blocks it missed, and
 * one too far behind is told to reload; pending transactions are events too; keep-alive
 * comments; the stream caps (429); open streams do not hold the client's request slots; a
 * client that stops reading is disconnected and can resume; closing the server ends the
 * streams cleanly. The real server on port 0 over the deterministic fake reader.
 */
import assert from 'node:assert/strict';
import { type Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  type ApiServerOptions,
  apiServerOptions,
  EventStreams,
  openApiDocument,
} from '../../../explorer/server/index.js';
import { FakeExplorerReader } from '../../support/fake-explorer-reader.js';
import { nodeApiOver, type RunningApi, startApi } from './api-harness.js';
import { openStream, type SseStream } from './sse-client.js';

const ajv = new Ajv2020({ strict: false });
ajv.addSchema({ ...openApiDocument(), $id: 'openapi.json' });
const validBlockEvent = ajv.getSchema('openapi.json#/components/schemas/BlockEvent')!;
const validPendingTx = ajv.getSchema('openapi.json#/components/schemas/PendingTx')!;
const validReset = ajv.getSchema('openapi.json#/components/schemas/ResetEvent')!;

interface Harness {
  reader: FakeExplorerReader;
  events: EventStreams;
  api: RunningApi;
}

const running: Harness[] = [];
const streams: SseStream[] = [];

async function start(options: Partial<ApiServerOptions> = {}, blocks = 40): Promise<Harness> {
  const reader = new FakeExplorerReader({ blocks, bigBlockHeight: 1_000_000, pending: 0 });
  const settings = apiServerOptions({ eventKeepAliveMs: 60_000, ...options });
  const events = new EventStreams(reader, settings);
  const api = await startApi(nodeApiOver(reader), settings, { events });
  const harness = { reader, events, api };
  running.push(harness);
  return harness;
}

async function stream(h: Harness, path = '/api/v1/events', headers: Record<string, string> = {}) {
  const opened = await openStream(h.api.port, path, headers);
  assert.equal(opened.status, 200, opened.text);
  assert.match(String(opened.contentType), /^text\/event-stream/);
  streams.push(opened.stream!);
  return opened.stream!;
}

/** Polls a server-side counter until `done()` holds, failing after `timeoutMs` with `what`. */
async function waitFor(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 5));
  }
}

/**
 * Responses written while `act` runs synchronously: what a commit or an admission costs the
 * code that announced it (the node's consensus and mempool run in that same turn).
 */
function countingWrites(act: () => void): { writes: number } {
  const proto = ServerResponse.prototype as unknown as { write: (...args: unknown[]) => boolean };
  const original = proto.write;
  let writes = 0;
  proto.write = function (this: unknown, ...args: unknown[]) {
    writes++;
    return original.apply(this, args);
  };
  try {
    act();
  } finally {
    proto.write = original;
  }
  return { writes };
}

const heightsOf = (s: SseStream) => s.blocks().map((e) => Number(e.id));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  for (const h of running.splice(0)) await h.api.close();
});

describe('explorer events (SSE)', () => {
  it('sends live blocks in order, each once, with their transactions; and pending transactions', async () => {
    const h = await start();
    const head = h.reader.head().height;
    const s = await stream(h);
    for (let i = 0; i < 5; i++) h.reader.addBlock(i);
    await s.until(() => s.blocks().length >= 5, 'five block events');
    assert.deepEqual(heightsOf(s), range(head + 1, head + 5));
    for (const e of s.blocks()) {
      const data = JSON.parse(e.data);
      assert.ok(validBlockEvent(data), ajv.errorsText(validBlockEvent.errors));
      assert.equal(data.height, Number(e.id));
      assert.equal(data.txs.length, data.txCount);
    }
    const pending = h.reader.addPendingTx();
    await s.until(() => s.events.some((e) => e.event === 'tx'), 'a tx event');
    const tx = s.events.find((e) => e.event === 'tx')!;
    assert.equal(tx.id, undefined);
    const data = JSON.parse(tx.data);
    assert.ok(validPendingTx(data), ajv.errorsText(validPendingTx.errors));
    assert.equal(data.hash, pending.hash);
  });

  it('caps the transactions sent with a block at eventBlockTxs; txCount tells the rest', async () => {
    const h = await start({ eventBlockTxs: 3 });
    const s = await stream(h);
    h.reader.addBlock(8);
    await s.until(() => s.blocks().length === 1, 'the block event');
    const data = JSON.parse(s.blocks()[0].data);
    assert.equal(data.txs.length, 3);
    assert.equal(data.txCount, 8);
  });

  it('resumes after a dropped connection with exactly the missed blocks (Last-Event-ID, or ?since)', async () => {
    const h = await start();
    const first = await stream(h);
    h.reader.addBlock(1);
    h.reader.addBlock(2);
    await first.until(() => first.blocks().length === 2, 'two blocks before the drop');
    const lastSeen = first.blocks()[1].id!;
    first.close();
    await waitFor(() => h.events.size() === 0, 'the server to see the drop');
    for (let i = 0; i < 4; i++) h.reader.addBlock(i);
    const resumed = await stream(h, '/api/v1/events', { 'last-event-id': lastSeen });
    await resumed.until(() => resumed.blocks().length === 4, 'the four missed blocks');
    h.reader.addBlock(1);
    await resumed.until(() => resumed.blocks().length === 5, 'the next live block');
    assert.deepEqual(heightsOf(resumed), range(Number(lastSeen) + 1, Number(lastSeen) + 5));

    const since = Number(lastSeen) + 2;
    const bySince = await stream(h, `/api/v1/events?since=${since}`);
    await bySince.until(() => bySince.blocks().length === 3, 'the blocks after ?since');
    assert.deepEqual(heightsOf(bySince), range(since + 1, since + 3));
    // the header wins over the URL: EventSource keeps the URL and adds the header on reconnect
    const both = await stream(h, `/api/v1/events?since=0`, { 'last-event-id': String(since + 2) });
    await both.until(() => both.blocks().length === 1, 'the block after the header');
    h.reader.addBlock(0);
    await both.until(() => both.blocks().length === 2, 'a live block');
    assert.deepEqual(heightsOf(both), range(since + 3, since + 4));
  });

  it('a client too far behind, or ahead of the head, is told to reload, then follows live', async () => {
    const h = await start({ maxEventBacklogBlocks: 10 });
    const head = h.reader.head().height;
    const behind = await stream(h, '/api/v1/events', { 'last-event-id': String(head - 11) });
    const ahead = await stream(h, `/api/v1/events?since=${head + 5}`);
    for (const s of [behind, ahead]) {
      await s.until(() => s.events.some((e) => e.event === 'reset'), 'a reset event');
      const reset = JSON.parse(s.events.find((e) => e.event === 'reset')!.data);
      assert.ok(validReset(reset), ajv.errorsText(validReset.errors));
      assert.equal(reset.head, head);
    }
    h.reader.addBlock(0);
    for (const s of [behind, ahead]) {
      await s.until(() => s.blocks().length === 1, 'the live block after the reset');
      assert.deepEqual(heightsOf(s), [head + 1]);
    }
    const within = await stream(h, '/api/v1/events', { 'last-event-id': String(head + 1 - 10) });
    await within.until(() => within.blocks().length === 10, 'a backlog at the bound');
    assert.equal(
      within.events.some((e) => e.event === 'reset'),
      false,
    );
  });

  it('refuses a malformed Last-Event-ID or since with 400 JSON', async () => {
    const h = await start();
    for (const [path, headers, code] of [
      ['/api/v1/events', { 'last-event-id': '-1' }, 'INVALID_LAST_EVENT_ID'],
      ['/api/v1/events', { 'last-event-id': '<script>' }, 'INVALID_LAST_EVENT_ID'],
      ['/api/v1/events?since=01', {}, 'INVALID_SINCE'],
      ['/api/v1/events?since=1&since=2', {}, 'REPEATED_PARAMETER'],
    ] as const) {
      const res = await h.api.get(path, headers);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(headers)}`);
      assert.equal((res.body as { error: string }).error, code);
    }
    assert.equal(h.events.size(), 0);
  });

  it('sends keep-alive comments', async () => {
    const h = await start({ eventKeepAliveMs: 30 });
    const s = await stream(h);
    await s.until(() => s.comments >= 2, 'two keep-alive comments', 3000);
  });

  it('caps streams from one client and in all (429 JSON); a closed one frees its place', async () => {
    const h = await start({ maxEventStreams: 3, maxEventStreamsPerClient: 2 });
    const a = await stream(h);
    await stream(h);
    const third = await openStream(h.api.port, '/api/v1/events');
    assert.equal(third.status, 429);
    assert.equal(JSON.parse(third.text!).error, 'TOO_MANY_STREAMS');
    const other = await openStream(h.api.port, '/api/v1/events', {}, '127.0.0.2');
    assert.equal(other.status, 200);
    streams.push(other.stream!);
    const fourth = await openStream(h.api.port, '/api/v1/events', {}, '127.0.0.3');
    assert.equal(fourth.status, 429);
    a.close();
    await waitFor(() => h.events.size() === 2, 'the server to see the close');
    const again = await openStream(h.api.port, '/api/v1/events', {}, '127.0.0.3');
    assert.equal(again.status, 200);
    streams.push(again.stream!);
  });

  it('open streams do not hold the client’s requests-in-progress slots', async () => {
    const h = await start({ maxConcurrentRequestsPerClient: 2, maxEventStreamsPerClient: 4 });
    for (let i = 0; i < 4; i++) await stream(h);
    const status = await h.api.get('/api/v1/status');
    assert.equal(status.status, 200, status.text);
    const blocks = await h.api.get('/api/v1/blocks?limit=1');
    assert.equal(blocks.status, 200, blocks.text);
  });

  it('one reader subscription while streams are open, none after they close', async () => {
    const h = await start();
    const a = await stream(h);
    const b = await stream(h);
    assert.equal(h.reader.listenerCount(), 1);
    a.close();
    b.close();
    await waitFor(() => h.events.size() === 0, 'both streams closed');
    assert.equal(h.reader.listenerCount(), 0);
  });

  it('disconnects a client that stops reading, dropping its pending-tx events first; it can resume', async () => {
    const flushMs = 5;
    const h = await start({ stalledStreamTimeoutMs: 150, eventBlockTxs: 50, eventTxFlushMs: flushMs });
    const from = h.reader.head().height;
    // a raw socket that never reads: the kernel's buffers fill, then the response's
    const socket = connect(h.api.port, '127.0.0.1');
    socket.pause();
    socket.on('error', () => {});
    socket.write('GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitFor(() => h.events.size() === 1, 'the raw stream to open');
    const deadline = performance.now() + 30_000;
    // The client, not reading, would not see the close either: watch the server's side.
    // A block and a pending transaction per step. Once the buffers are full, the step's
    // transaction is flushed (and dropped) flushMs later, long before the stall timer armed
    // earlier fires: timers fire in deadline order, however loaded the machine.
    while (h.events.counters.stalled === 0) {
      assert.ok(
        performance.now() < deadline,
        `a client that stopped reading was never disconnected (${h.reader.head().height - from} blocks)`,
      );
      h.reader.addBlock(50);
      h.reader.addPendingTx();
      // paces the load at one transaction per flush; the loop ends on the counter above
      await new Promise((wake) => setTimeout(wake, flushMs + 1));
    }
    socket.destroy();
    assert.equal(h.events.counters.stalled, 1);
    assert.ok(h.events.counters.txEventsDropped >= 1, 'no pending-tx event was dropped');
    assert.equal(h.events.size(), 0);
    assert.equal(h.reader.listenerCount(), 0);

    // The resumed client reads megabytes in this same process: on a loaded machine it may
    // not drain within the 150 ms that cut off the silent one, so its bound is raised (the
    // hub reads it whenever a stream starts waiting).
    h.events.options.stalledStreamTimeoutMs = 60_000;
    const head = h.reader.head().height;
    const resumed = await stream(h, '/api/v1/events', { 'last-event-id': String(from) });
    await resumed.until(() => resumed.blocks().length === head - from, 'every block since the first', 30_000);
    assert.deepEqual(heightsOf(resumed), range(from + 1, head));
    assert.equal(h.events.counters.stalled, 1, 'the resumed stream was cut off');
  });

  it('writes nothing inside the commit or the admission that announced it: the fan-out comes after', async () => {
    const h = await start({ eventTxFlushMs: 20 });
    const open = [await stream(h), await stream(h), await stream(h)];
    const head = h.reader.head().height;
    const pending = countingWrites(() => h.reader.addPendingTx());
    assert.equal(pending.writes, 0, 'a pending-tx event was written inside the admission');
    const committed = countingWrites(() => h.reader.addBlock(2));
    assert.equal(committed.writes, 0, 'a block event was written inside the commit');
    for (const s of open) {
      await s.until(() => s.blocks().length === 1, 'the block after the commit returned');
      assert.deepEqual(heightsOf(s), [head + 1]);
    }
  });

  it('a burst of pending transactions costs each stream one write per flush, at most maxEventTxsPerFlush events', async () => {
    const h = await start({ eventTxFlushMs: 30, maxEventTxsPerFlush: 20 });
    const open = [await stream(h), await stream(h), await stream(h)];
    const burst = countingWrites(() => {
      for (let i = 0; i < 200; i++) h.reader.addPendingTx();
    });
    assert.equal(burst.writes, 0, 'pending-tx events were written one by one inside the admissions');
    const txEvents = (s: SseStream) => s.events.filter((e) => e.event === 'tx');
    for (const s of open) await s.until(() => txEvents(s).length === 20, 'the first flush of tx events');
    // every stream got the same first 20, in admission order; the rest of the burst was dropped
    const first = h.reader
      .pendingTxs()
      .slice(0, 20)
      .map((tx) => tx.hash);
    for (const s of open)
      assert.deepEqual(
        txEvents(s).map((e) => JSON.parse(e.data).hash),
        first,
      );
    assert.equal(h.events.counters.txEventsDropped, 180 * open.length);
    // a later admission is sent in the next flush
    const later = h.reader.addPendingTx();
    for (const s of open) await s.until(() => txEvents(s).length === 21, 'the next flush');
    assert.equal(JSON.parse(txEvents(open[0])[20].data).hash, later.hash);
  });

  it('closing the server ends open streams cleanly', async () => {
    const h = await start();
    const s = await stream(h);
    const server: Server = h.api.server;
    const closed = new Promise<void>((ok) => server.close(() => ok()));
    await s.until(() => s.ended, 'the stream to end');
    assert.equal(s.aborted, false);
    await closed;
    assert.equal(h.events.size(), 0);
    assert.equal(h.reader.listenerCount(), 0);
    running.splice(running.indexOf(h), 1);
  });
});

after(() => {
  for (const s of streams) s.close();
});
