/**
 * Item 8 of issue 10: a peer that drips a large frame in tiny chunks must cost work in
 * proportion to its bytes. The reader used to concatenate its buffer with every chunk,
 * copying the partial frame again each time (quadratic in the number of chunks).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameReader, frame } from '../../../src/network/encoding.js';
import { GateError } from '../../../src/network/errors.js';

/** A deterministic payload of `n` bytes. */
function payload(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('FrameReader', () => {
  it('reassembles frames across any chunking, byte for byte', () => {
    const bodies = [payload(0), payload(1, 2), payload(3, 3), payload(5000, 4), payload(70_000, 5)];
    const stream = new Uint8Array(bodies.reduce((n, b) => n + 4 + b.length, 0));
    let at = 0;
    for (const b of bodies) {
      stream.set(frame(b), at);
      at += 4 + b.length;
    }
    for (const size of [1, 3, 4, 7, 1000, stream.length]) {
      const reader = new FrameReader(100_000);
      const got = chunksOf(stream, size).flatMap((c) => reader.push(c));
      assert.equal(got.length, bodies.length, `chunk size ${size}`);
      for (const [i, g] of got.entries()) assert.deepEqual(g, bodies[i], `frame ${i}, chunk size ${size}`);
      assert.equal(reader.partial, false);
    }
  });

  it('refuses a frame over the bound from its prefix, before its body arrives', () => {
    const reader = new FrameReader(100);
    const prefix = frame(new Uint8Array(101)).subarray(0, 4);
    assert.throws(
      () => reader.push(prefix),
      (e: unknown) => e instanceof GateError && e.code === 'OVERSIZE' && e.action === 'reject',
    );
  });

  it('says a frame is partial until its last byte arrives', () => {
    const reader = new FrameReader(100);
    const f = frame(payload(10));
    assert.deepEqual(reader.push(f.subarray(0, 2)), []);
    assert.equal(reader.partial, true);
    assert.deepEqual(reader.push(f.subarray(2, 13)), []);
    assert.equal(reader.partial, true);
    assert.equal(reader.push(f.subarray(13)).length, 1);
    assert.equal(reader.partial, false);
  });

  it('costs linear work for a 2 MB frame dripped in 64-byte chunks', () => {
    const body = payload(2 * 1024 * 1024, 7);
    const chunks = chunksOf(frame(body), 64); // 32k chunks
    const whole = new FrameReader(body.length);
    const t0 = performance.now();
    assert.equal(whole.push(frame(body)).length, 1);
    const oneChunkMs = performance.now() - t0;
    const reader = new FrameReader(body.length);
    const t1 = performance.now();
    let frames: Uint8Array[] = [];
    for (const c of chunks) frames = frames.concat(reader.push(c));
    const drippedMs = performance.now() - t1;
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], body);
    // Quadratic reassembly copies ~32k times the average partial frame (~32 GB here): many
    // seconds. Linear reassembly handles 32k pushes and copies 2 MB once.
    assert.ok(
      drippedMs < 400 + 50 * oneChunkMs,
      `dripped frame took ${drippedMs.toFixed(0)} ms (one chunk: ${oneChunkMs.toFixed(1)} ms)`,
    );
  });

  it('holds memory in proportion to the bytes received, not to the length a prefix announces', () => {
    const reader = new FrameReader(4 << 20);
    const f = frame(payload(3 << 20, 9));
    const held = () => (reader as unknown as { body?: Uint8Array }).body?.length ?? 0;
    reader.push(f.subarray(0, 4 + 10));
    assert.ok(held() <= 64 * 1024, `a 3 MiB announcement holds ${held()} bytes after 10`);
    // dripped in one-byte chunks for a while: the body grows by doubling, at most twice what came
    for (let i = 14; i < 200_014; i++) reader.push(f.subarray(i, i + 1));
    assert.ok(held() <= 2 * 200_000, `holds ${held()} bytes after 200,000`);
    const [done] = reader.push(f.subarray(200_014));
    assert.deepEqual(done, payload(3 << 20, 9));
  });
});
