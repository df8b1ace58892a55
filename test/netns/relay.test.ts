/**
 * The delaying TCP relay of the multi-host test, on 127.0.0.1: it holds each chunk for its
 * link's delay both ways, keeps their order, counts the bytes per source, and refuses a
 * connection its route does not know.
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DelayRelay } from './relay.js';

const DELAY_MS = 40;

function connect(port: number): Promise<Socket> {
  return new Promise((ok, fail) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => ok(s));
    s.once('error', fail);
  });
}

/** Resolves with everything `socket` receives until `bytes` have come, or fails after 5 s. */
function receive(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => fail(new Error(`received ${got} of ${bytes} bytes in 5 s`)), 5000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= bytes) {
        clearTimeout(timer);
        ok(Buffer.concat(chunks));
      }
    });
  });
}

describe('delaying TCP relay', () => {
  let echo: Server;
  let relay: DelayRelay;
  let refusing: DelayRelay;

  before(async () => {
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((ok) => echo.listen(0, '127.0.0.1', ok));
    const targetPort = (echo.address() as { port: number }).port;
    const options = { listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort };
    relay = new DelayRelay({
      ...options,
      route: () => ({ sourceHost: '127.0.0.1', delayMs: DELAY_MS }),
      maxQueuedBytes: 64 * 1024,
    });
    refusing = new DelayRelay({ ...options, route: () => undefined, maxQueuedBytes: 64 * 1024 });
    await relay.start();
    await refusing.start();
  });

  after(async () => {
    await relay.close();
    await refusing.close();
    await new Promise((ok) => echo.close(ok));
  });

  it('delays each chunk both ways, keeps their order and counts the bytes', async () => {
    const client = await connect(relay.listenPort);
    const payload = Buffer.alloc(256 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const sentAt = performance.now();
    const echoed = receive(client, payload.length);
    // in pieces, more than the queue bound holds, so the reader is paused and resumed
    for (let off = 0; off < payload.length; off += 16 * 1024)
      client.write(payload.subarray(off, off + 16 * 1024));
    const back = await echoed;
    const roundTripMs = performance.now() - sentAt;
    assert.ok(roundTripMs >= 2 * DELAY_MS - 1, `echo came back after ${roundTripMs} ms`);
    assert.ok(back.equals(payload), 'the bytes came back changed or out of order');
    client.destroy();
    assert.equal(relay.counters.forwardBytes, payload.length);
    assert.equal(relay.counters.backwardBytes, payload.length);
    assert.equal(relay.bySource.get('127.0.0.1')?.forwardBytes, payload.length);
    assert.equal(relay.counters.accepted, 1);
  });

  it('closes a connection its route refuses', async () => {
    const client = await connect(refusing.listenPort);
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('the refused connection stayed open')), 5000);
      client.on('error', () => undefined);
      client.once('close', () => {
        clearTimeout(timer);
        ok();
      });
    });
    assert.equal(refusing.counters.accepted, 0);
  });
});
