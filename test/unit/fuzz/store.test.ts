/** Fuzzed decoders of the store's own records (src/store/codec.ts, src/store/undo.ts, src/store/store.ts). */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';
import { open } from 'lmdb';
import { encodeHeader } from '../../../src/chain/index.js';
import {
  BlockRecords,
  decodeHistoryKey,
  decodeSummary,
  decodeTxLocation,
  decodeTxRecord,
  encodeSummary,
  encodeTxLocation,
  HISTORY_KEY_BYTES,
  historyKey,
  readHeight,
  receiptOfRecord,
  SUMMARY_BYTES,
  TX_LOCATION_BYTES,
  TX_RECORD_BYTES,
  type TxRecord,
} from '../../../src/store/codec.js';
import { checkDataFile } from '../../../src/store/data-file.js';
import { StoreError } from '../../../src/store/errors.js';
import { decodeProofPoint } from '../../../src/store/store.js';
import {
  encodeUndoChunks,
  UNDO_ACCOUNT,
  UNDO_TREE,
  type UndoEntry,
  undoEntry,
} from '../../../src/store/undo.js';
import { bytes32, headerArb } from './arbitraries.js';
import {
  assertDecoderProperty,
  assertTypedError,
  checkBinaryDecoder,
  fuzzParameters,
  mutationsOf,
} from './fuzz.js';

const u = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const height = fc.oneof(fc.nat({ max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const index = fc.oneof(fc.nat({ max: 20 }), fc.nat({ max: 0xffffffff }));
const address = fc.uint8Array({ minLength: 20, maxLength: 20 });
/** Fixed-size records: mutations keep or change the length; any 8 bytes may be a u64 above 2^53. */
const fixed = (valid: fc.Arbitrary<Uint8Array>, size: number) =>
  fc.oneof(mutationsOf(valid, size + 4), fc.uint8Array({ minLength: size, maxLength: size }));

const summaryArb = fc
  .record({
    hash: bytes32,
    parentHash: bytes32,
    round: height,
    timestampMs: height,
    proposer: address,
    txCount: fc.nat({ max: 0xffffffff }),
    sizeBytes: fc.nat({ max: 0xffffffff }),
    gasUsed: u(64),
    fees: u(256),
    burned: u(256),
    totalTxs: height,
    totalAccounts: height,
  })
  .map(encodeSummary);

/** One transaction's record group as a commit writes it (the record is the whole group). */
function recordGroup(record: Omit<TxRecord, 'height' | 'index'>): Uint8Array {
  const records = new BlockRecords(1, 1, 0);
  records.addTx(receiptOfRecord({ ...record, height: 1, index: 0 }), record, 0);
  return records.txRecordGroups[0][1];
}

const recordArb = fc
  .record({
    txHash: bytes32,
    from: address,
    to: address,
    value: u(256),
    nonce: u(64),
    gasLimit: u(64),
    maxFeePerGas: u(256),
    maxPriorityFeePerGas: u(256),
    gasUsed: u(64),
    effectiveGasPrice: u(256),
    fee: u(256),
  })
  .map(recordGroup);

describe('fuzzed store records', () => {
  it('a tx location decodes to a value that re-encodes to its bytes, or throws a StoreError', () => {
    assertDecoderProperty(
      fixed(
        fc.tuple(height, index).map(([h, i]) => encodeTxLocation(h, i)),
        TX_LOCATION_BYTES,
      ),
      (input) =>
        checkBinaryDecoder(input, decodeTxLocation, (l) => encodeTxLocation(l.height, l.index), StoreError),
      1000,
    );
  });

  it('a history key decodes to a value that re-encodes to its bytes, or throws a StoreError', () => {
    assertDecoderProperty(
      fixed(
        fc.tuple(address, height, index).map(([a, h, i]) => historyKey(a, h, i)),
        HISTORY_KEY_BYTES,
      ),
      (input) =>
        checkBinaryDecoder(
          input,
          (key) => ({ key, ...decodeHistoryKey(key) }),
          (k) => historyKey(k.key.subarray(0, 20), k.height, k.index),
          StoreError,
        ),
      1000,
    );
  });

  it('a stored height decodes to a value that re-encodes to its bytes, or throws a StoreError', () => {
    const encode = (h: number) => encodeTxLocation(h, 0).subarray(0, 8);
    // readHeight reads the height at the start of a longer value: its first 8 bytes are its input
    assertDecoderProperty(
      fixed(height.map(encode), 8),
      (input) =>
        checkBinaryDecoder(input.length > 8 ? input.subarray(0, 8) : input, readHeight, encode, StoreError),
      500,
    );
  });

  it('a block summary decodes to a value that re-encodes to its bytes, or throws a StoreError', () => {
    assertDecoderProperty(
      fixed(summaryArb, SUMMARY_BYTES),
      (input) => checkBinaryDecoder(input, (b) => decodeSummary(7, b), encodeSummary, StoreError),
      1000,
    );
  });

  it('a tx record group decodes to records that re-encode to its bytes, or throws a StoreError', () => {
    assertDecoderProperty(
      fixed(recordArb, TX_RECORD_BYTES),
      (input) =>
        checkBinaryDecoder(
          input,
          (group) => {
            const record = decodeTxRecord(1, 0, group, 0);
            // only an empty group has no record at offset 0 (other lengths are refused)
            if (record === undefined) {
              assert.equal(group.length, 0);
              throw new StoreError('CORRUPT_STORE', 'no record');
            }
            return record;
          },
          recordGroup,
          StoreError,
        ),
      800,
    );
  });

  it('an undo chunk gives back what each key was before, or throws a StoreError when damaged', () => {
    const key = fc.uint8Array({ minLength: 1, maxLength: 40 });
    const value = fc.uint8Array({ maxLength: 200 });
    // before/after pairs that share most words, so word diffs are written as well as whole values
    const entry = fc
      .tuple(key, fc.option(value, { nil: undefined }), fc.option(fc.nat(6), { nil: undefined }))
      .map(([k, before, change]): UndoEntry => {
        if (before === undefined || change === undefined) return [k, before];
        const after = before.slice();
        if (after.length > 0) after[(change * 37) % after.length] ^= 0xff;
        return [k, before, after];
      });
    const chunks = fc
      .tuple(
        fc.constantFrom(UNDO_TREE, UNDO_ACCOUNT),
        fc.uniqueArray(entry, { maxLength: 6, selector: ([k]) => k.join() }),
      )
      .map(([kind, entries]) => ({ entries, chunks: encodeUndoChunks(kind, entries) }));
    let damaged = 0;
    fc.assert(
      fc.property(chunks, fc.nat(), fc.nat(7), ({ entries, chunks }, at, bit) => {
        for (const [k, before, after] of entries) {
          const found = chunks.map(([, c]) => undoEntry(c, k, after)).find((r) => r !== undefined);
          assert.ok(found !== undefined, 'every recorded key is found');
          assert.deepEqual(found.before, before);
        }
        // a damaged chunk: any answer or a StoreError, never another exception or a hang
        for (const [, c] of chunks) {
          const broken = c.slice();
          broken[at % broken.length] ^= 1 << bit;
          for (const cut of [broken, broken.subarray(0, at % broken.length)])
            for (const [k, , after] of entries)
              try {
                undoEntry(cut, k, after);
              } catch (err) {
                assertTypedError(err, StoreError);
                damaged++;
              }
        }
      }),
      fuzzParameters(600),
    );
    assert.ok(damaged > 0, 'no damaged chunk was refused');
  });

  it('a proof point decodes to one that re-encodes to its bytes, or throws a StoreError', () => {
    type Point = ReturnType<typeof decodeProofPoint>;
    // as LedgerStore writes it (proofRecordsOf)
    const encodePoint = (p: Point) =>
      RLP.encode([encodeHeader(p.child), p.childQc, p.chain.map(encodeHeader)]);
    const pointArb = fc
      .record({
        child: headerArb,
        childQc: fc.uint8Array({ maxLength: 120 }),
        chain: fc.array(headerArb, { maxLength: 3 }),
      })
      .map(encodePoint);
    assertDecoderProperty(
      mutationsOf(pointArb),
      (input) => checkBinaryDecoder(input, decodeProofPoint, encodePoint, StoreError),
      600,
    );
    // regression: a damaged point threw the RLP library's Error or a TypeError
    for (const damaged of [
      Uint8Array.of(0xf9, 0xff),
      Uint8Array.of(0x05),
      RLP.encode([Uint8Array.of(1), [], []]),
    ])
      assert.throws(() => decodeProofPoint(damaged), { code: 'CORRUPT_STORE' });
  });

  it('a damaged lmdb data file passes the check before lmdb maps it, or is refused as CORRUPT_STORE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-data-file-'));
    try {
      const env = open({ path: join(dir, 'valid') });
      env.transactionSync(() => {
        for (let i = 0; i < 50; i++) env.putSync(`key-${i}`, `value-${i}`);
      });
      await env.close();
      const valid = new Uint8Array(readFileSync(join(dir, 'valid', 'data.mdb')));
      const pageBytes = new DataView(valid.buffer).getUint32(24 + 24, true);
      const damaged = join(dir, 'damaged');
      // flips inside the two meta pages (what the check reads), cuts, and whole-file mutations
      const metaFlips = fc
        .array(fc.tuple(fc.constantFrom(0, pageBytes), fc.nat(24 + 135), fc.nat(7)), {
          minLength: 1,
          maxLength: 3,
        })
        .map((flips) => {
          const out = valid.slice();
          for (const [page, at, bit] of flips) out[page + at] ^= 1 << bit;
          return out;
        });
      const files = fc.oneof(
        metaFlips,
        fc.nat(valid.length).map((n) => valid.subarray(0, n)),
        mutationsOf(fc.constant(valid), 300),
      );
      const seen = { accepted: 0, refused: 0 };
      mkdirSync(damaged);
      fc.assert(
        fc.property(files, (bytes) => {
          writeFileSync(join(damaged, 'data.mdb'), bytes);
          try {
            checkDataFile(damaged);
          } catch (err) {
            assertTypedError(err, StoreError);
            assert.equal((err as StoreError).code, 'CORRUPT_STORE');
            seen.refused++;
            return;
          }
          seen.accepted++;
          // what passes holds both meta pages whole
          assert.ok(bytes.length >= 2 * pageBytes, `a ${bytes.length}-byte file passed`);
        }),
        fuzzParameters(150),
      );
      assert.ok(seen.accepted > 0 && seen.refused > 0, JSON.stringify(seen));
    } finally {
      rmSync(dir, { force: true, recursive: true });
    }
  });

  it('refuses short keys and integers above 2^53 (regression: a RangeError, or silently another number)', () => {
    assert.throws(() => decodeHistoryKey(new Uint8Array(HISTORY_KEY_BYTES - 1)), { code: 'CORRUPT_STORE' });
    assert.throws(() => readHeight(new Uint8Array(4)), { code: 'CORRUPT_STORE' });
    const summary = new Uint8Array(SUMMARY_BYTES);
    new DataView(summary.buffer).setBigUint64(64, (1n << 53n) + 1n); // round
    assert.throws(() => decodeSummary(1, summary), { code: 'CORRUPT_STORE' });
    const location = new Uint8Array(TX_LOCATION_BYTES).fill(0xff);
    assert.throws(() => decodeTxLocation(location), { code: 'CORRUPT_STORE' });
  });
});
