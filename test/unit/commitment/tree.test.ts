/**
 * The account tree (src/commitment): roots against a reference built straight from the
 * logical rules, the physical store against a fresh build, proofs, and the proof encoding.
 * assert.ok always gets a message here: without one, a failing assert.ok under tsx's loader
 * hooks can spin for minutes building its message (nodejs/node#52962).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  accountKey,
  CommitmentError,
  decodeProof,
  EMPTY_ROOT,
  encodeProof,
  MAX_PROOF_SIBLINGS,
  MemoryTreeStore,
  proveKey,
  rootOf,
  type TreeChange,
  type TreeProof,
  type TreeReader,
  type TreeUpdate,
  updateTree,
  verifyProof,
} from '../../../src/commitment/index.js';
import { sha256, sha256Parts } from '../../../src/crypto/hash.js';

const SEED = 20240611;

// --- helpers: a reference root from the logical rules, keys with long shared prefixes ---

type Entry = [key: Uint8Array, value: Uint8Array];

const ZERO = new Uint8Array(32);

function bit(key: Uint8Array, depth: number): number {
  return (key[depth >> 3] >> (7 - (depth & 7))) & 1;
}

/** The root the logical rules give for `entries` (distinct keys). */
function referenceRoot(entries: ReadonlyArray<Entry>): Uint8Array {
  const walk = (subset: ReadonlyArray<Entry>, depth: number): Uint8Array => {
    if (subset.length === 0) return ZERO;
    if (subset.length === 1) {
      const [key, value] = subset[0];
      return sha256Parts(Uint8Array.of(0), key, sha256(value));
    }
    const left = subset.filter(([key]) => bit(key, depth) === 0);
    const right = subset.filter(([key]) => bit(key, depth) === 1);
    return sha256Parts(Uint8Array.of(1), walk(left, depth + 1), walk(right, depth + 1));
  };
  return walk(entries, 0);
}

/** A store built from scratch with all of `entries` in one batch. */
function freshStore(entries: ReadonlyArray<Entry>): MemoryTreeStore {
  const store = new MemoryTreeStore();
  store.apply(
    updateTree(
      store,
      entries.map(([keyHash, value]) => ({ keyHash, value })),
    ),
  );
  return store;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** `base` with its bits from `bits` on replaced by `tail`'s: the two share >= `bits` leading bits. */
function withPrefix(base: Uint8Array, bits: number, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(tail);
  const whole = bits >> 3;
  out.set(base.subarray(0, whole));
  const rest = bits & 7;
  if (rest > 0) {
    const mask = (0xff << (8 - rest)) & 0xff;
    out[whole] = (base[whole] & mask) | (tail[whole] & ~mask & 0xff);
  }
  return out;
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

/**
 * A pool of distinct key hashes: random ones, and clusters around a few bases whose
 * members share 8..60 leading bits with the base (and sometimes 200..255 bits, down to
 * keys that differ only in the last bit).
 */
const keyPool = (maxKeys: number): fc.Arbitrary<Uint8Array[]> =>
  fc
    .record({
      random: fc.array(bytes32, { maxLength: maxKeys }),
      bases: fc.array(bytes32, { minLength: 1, maxLength: 3 }),
      variants: fc.array(
        fc.record({
          base: fc.nat(2),
          bits: fc.oneof(
            { weight: 4, arbitrary: fc.integer({ min: 8, max: 60 }) },
            fc.integer({ min: 200, max: 255 }),
          ),
          tail: bytes32,
        }),
        { maxLength: maxKeys },
      ),
    })
    .map(({ random, bases, variants }) => {
      const keys: Uint8Array[] = [...random, ...bases];
      for (const v of variants) keys.push(withPrefix(bases[v.base % bases.length], v.bits, v.tail));
      const distinct = new Map(keys.map((k) => [hex(k), k]));
      return [...distinct.values()].slice(0, maxKeys);
    })
    .filter((keys) => keys.length > 0);

const smallValue = fc.uint8Array({ minLength: 0, maxLength: 12 });

/** Whether the node key (packed nibbles || count) is a prefix of `keyHash`'s nibble path. */
function isOnPath(nodeKey: Uint8Array, keyHash: Uint8Array): boolean {
  const nibbles = nodeKey[nodeKey.length - 1];
  for (let i = 0; i < nibbles; i++) {
    const shift = i & 1 ? 0 : 4;
    if (((nodeKey[i >> 1] >> shift) & 0xf) !== ((keyHash[i >> 1] >> shift) & 0xf)) return false;
  }
  return true;
}

/** Applies `update` after checking the write-set invariants against `store`. */
function applyChecked(store: MemoryTreeStore, update: TreeUpdate): void {
  const putKeys = update.puts.map(([k]) => hex(k));
  assert.equal(new Set(putKeys).size, putKeys.length, 'each node is written at most once');
  for (const key of update.deletes) {
    assert.ok(store.getNode(key) !== undefined, 'a delete names an existing node');
    assert.ok(!putKeys.includes(hex(key)), 'puts and deletes are disjoint');
  }
  store.apply(update);
}

function assertSameStore(actual: MemoryTreeStore, expected: MemoryTreeStore): void {
  assert.equal(actual.size, expected.size, 'node count equals a fresh build of the same map');
  assert.deepEqual(
    actual.entries().map(([k, v]) => [hex(k), hex(v)]),
    expected.entries().map(([k, v]) => [hex(k), hex(v)]),
  );
}

function key(first: number, last = 0): Uint8Array {
  const k = new Uint8Array(32);
  k[0] = first;
  k[31] = last;
  return k;
}

describe('account tree: root', () => {
  it('is EMPTY_ROOT (32 zero bytes) for the empty map, and a leaf hash for one key', () => {
    const store = new MemoryTreeStore();
    assert.deepEqual(rootOf(store), new Uint8Array(32));
    assert.deepEqual(EMPTY_ROOT, new Uint8Array(32));
    const k = accountKey(new Uint8Array(20).fill(7));
    const value = Uint8Array.of(1, 2, 3);
    const update = updateTree(store, [{ keyHash: k, value }]);
    assert.deepEqual(update.root, sha256Parts(Uint8Array.of(0), k, sha256(value)));
    store.apply(update);
    assert.equal(store.size, 1, 'a single leaf is stored at the root path');
    // The root leaf is 0x00 || keyHash || sha256(value): the value itself is not stored.
    assert.deepEqual(store.entries(), [[Uint8Array.of(0), Uint8Array.of(0, ...k, ...sha256(value))]]);
    assert.deepEqual(rootOf(store), update.root);
  });

  it('accountKey is sha256 of the address', () => {
    const address = new Uint8Array(20).fill(0xab);
    assert.deepEqual(accountKey(address), sha256(address));
  });

  it('equals the reference after random batches of inserts, updates and deletes', () => {
    fc.assert(
      fc.property(
        keyPool(40).chain((keys) =>
          fc.tuple(
            fc.constant(keys),
            fc.array(
              fc.array(fc.record({ k: fc.nat(keys.length - 1), value: fc.option(smallValue, { freq: 3 }) }), {
                maxLength: 25,
              }),
              { minLength: 1, maxLength: 8 },
            ),
          ),
        ),
        ([keys, batches]) => {
          const store = new MemoryTreeStore();
          const model = new Map<string, Entry>();
          for (const batch of batches) {
            const changes: TreeChange[] = batch.map(({ k, value }) => ({ keyHash: keys[k], value }));
            const update = updateTree(store, changes);
            applyChecked(store, update);
            for (const { keyHash, value } of changes) {
              if (value === null) model.delete(hex(keyHash));
              else model.set(hex(keyHash), [keyHash, value]);
            }
            const expected = referenceRoot([...model.values()]);
            assert.equal(hex(update.root), hex(expected));
            assert.equal(hex(rootOf(store)), hex(expected));
          }
          assertSameStore(store, freshStore([...model.values()]));
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('collapses leaves back up when deletes leave one key under a node', () => {
    fc.assert(
      fc.property(keyPool(30), fc.array(smallValue, { minLength: 30, maxLength: 30 }), (keys, values) => {
        const entries: Entry[] = keys.map((k, i) => [k, values[i]]);
        const store = freshStore(entries);
        // Delete keys one by one down to a single survivor, checking each step.
        let live = entries;
        while (live.length > 1) {
          const [gone, ...rest] = live;
          const update = updateTree(store, [{ keyHash: gone[0], value: null }]);
          applyChecked(store, update);
          live = rest;
          assert.equal(hex(update.root), hex(referenceRoot(live)));
          assertSameStore(store, freshStore(live));
        }
        assert.equal(store.size, 1, 'the last key is a leaf at the root path');
      }),
      { seed: SEED + 1, numRuns: 60 },
    );
  });

  it('does not depend on batch order or batching, and deleting everything gives EMPTY_ROOT', () => {
    fc.assert(
      fc.property(
        keyPool(40),
        fc.array(smallValue, { minLength: 40, maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 40, maxLength: 40 }),
        (keys, values, order, cuts) => {
          const entries: Entry[] = keys.map((k, i) => [k, values[i]]);
          const oneBatch = freshStore(entries);
          // The same entries in a shuffled order, split into batches of 1..7.
          const shuffled = entries
            .map((e, i) => [order[i], e] as const)
            .sort((a, b) => a[0] - b[0])
            .map(([, e]) => e);
          const batched = new MemoryTreeStore();
          for (let i = 0, c = 0; i < shuffled.length; i += cuts[c++]) {
            const slice = shuffled.slice(i, i + cuts[c]);
            applyChecked(
              batched,
              updateTree(
                batched,
                slice.map(([keyHash, value]) => ({ keyHash, value })),
              ),
            );
          }
          assert.equal(hex(rootOf(batched)), hex(rootOf(oneBatch)));
          assertSameStore(batched, oneBatch);
          // Delete everything, in a different batching.
          for (let i = 0; i < entries.length; i += 3) {
            const deletes = entries.slice(i, i + 3).map(([keyHash]) => ({ keyHash, value: null }));
            applyChecked(batched, updateTree(batched, deletes));
          }
          assert.deepEqual(rootOf(batched), EMPTY_ROOT);
          assert.equal(batched.size, 0, 'no stale nodes are left behind');
        },
      ),
      { seed: SEED + 2, numRuns: 100 },
    );
  });

  it('handles keys that differ only in their last bit (256 levels)', () => {
    const a = key(0x5a, 0b0);
    const b = key(0x5a, 0b1);
    const store = freshStore([
      [a, Uint8Array.of(1)],
      [b, Uint8Array.of(2)],
    ]);
    assert.equal(
      hex(rootOf(store)),
      hex(
        referenceRoot([
          [a, Uint8Array.of(1)],
          [b, Uint8Array.of(2)],
        ]),
      ),
    );
    assert.equal(
      store.size,
      64,
      'one internal node per nibble of the shared path; the leaves are in the last',
    );
    applyChecked(store, updateTree(store, [{ keyHash: a, value: null }]));
    assert.equal(store.size, 1);
    assert.equal(hex(rootOf(store)), hex(referenceRoot([[b, Uint8Array.of(2)]])));
  });

  it('keeps the last change of a key within a batch', () => {
    const k = key(1);
    const store = new MemoryTreeStore();
    const update = updateTree(store, [
      { keyHash: k, value: Uint8Array.of(1) },
      { keyHash: key(2), value: Uint8Array.of(9) },
      { keyHash: k, value: null },
      { keyHash: k, value: Uint8Array.of(3) },
    ]);
    assert.equal(
      hex(update.root),
      hex(
        referenceRoot([
          [k, Uint8Array.of(3)],
          [key(2), Uint8Array.of(9)],
        ]),
      ),
    );
  });

  it('writes nothing for a batch that changes nothing', () => {
    const store = freshStore([
      [key(1), Uint8Array.of(1)],
      [key(2), Uint8Array.of(2)],
      [key(0x21), Uint8Array.of(3)],
    ]);
    const before = rootOf(store);
    for (const changes of [
      [],
      [{ keyHash: key(3), value: null }],
      [{ keyHash: key(0x22), value: null }],
      [{ keyHash: withPrefix(key(1), 255, key(0xff, 0xff)), value: null }],
      [
        { keyHash: key(1), value: Uint8Array.of(1) },
        { keyHash: key(0x21), value: Uint8Array.of(3) },
      ],
    ]) {
      const update = updateTree(store, changes);
      assert.deepEqual(update, { root: before, puts: [], deletes: [] });
    }
  });

  it('rewrites only the touched path: an update of one key in 5,000 writes few nodes', () => {
    const entries: Entry[] = [];
    for (let i = 0; i < 5000; i++)
      entries.push([accountKey(Uint8Array.of(i >> 8, i & 0xff)), Uint8Array.of(i & 0xff)]);
    const store = freshStore(entries);
    const update = updateTree(store, [{ keyHash: entries[1234][0], value: Uint8Array.of(0) }]);
    assert.ok(update.puts.length <= 4, `wrote ${update.puts.length} nodes`);
    assert.equal(update.deletes.length, 0);
  });

  it('writes one node per touched internal node, none per leaf, and never reads a leaf value', () => {
    fc.assert(
      fc.property(
        keyPool(40),
        fc.array(smallValue, { minLength: 40, maxLength: 40 }),
        fc.array(fc.nat(39), { minLength: 1, maxLength: 10 }),
        (keys, values, picks) => {
          const entries: Entry[] = keys.map((k, i) => [k, values[i]]);
          const store = freshStore(entries);
          if (entries.length > 1) {
            for (const [, node] of store.entries())
              assert.equal(node[0], 0x01, 'only internal nodes are stored');
          }
          // Change the values of some present keys: the writes are exactly the stored
          // nodes on their paths.
          const touched = [...new Set(picks.map((p) => p % entries.length))].map((i) => entries[i][0]);
          const onPaths = store.entries().filter(([nodeKey]) => touched.some((k) => isOnPath(nodeKey, k)));
          const update = updateTree(
            store,
            touched.map((keyHash) => ({ keyHash, value: Uint8Array.of(0xee, 0xee, 0xee, 0xee, 0xee) })),
          );
          assert.deepEqual(
            update.puts.map(([k]) => hex(k)).sort(),
            onPaths.map(([k]) => hex(k)),
            'puts are the nodes on the changed paths',
          );
          assert.equal(update.deletes.length, 0);
        },
      ),
      { seed: SEED + 3, numRuns: 100 },
    );
  });

  it('equals the reference on a larger map (4,000 keys, full 16-ary nodes) through block-sized batches', () => {
    // Deterministic: keys are sha256 of an index; each round inserts, updates and deletes.
    const keyOf = (i: number) => accountKey(Uint8Array.of(i >> 16, (i >> 8) & 0xff, i & 0xff));
    const store = new MemoryTreeStore();
    const model = new Map<string, Entry>();
    let next = 0;
    for (let round = 0; round < 6; round++) {
      const changes: TreeChange[] = [];
      for (let i = 0; i < 700; i++, next++)
        changes.push({ keyHash: keyOf(next), value: Uint8Array.of(round, i & 0xff) });
      for (let i = round; i < next; i += 7)
        changes.push({ keyHash: keyOf(i), value: Uint8Array.of(round, 0xee) });
      for (let i = round * 3; i < next; i += 11) changes.push({ keyHash: keyOf(i), value: null });
      const update = updateTree(store, changes);
      applyChecked(store, update);
      for (const { keyHash, value } of changes) {
        if (value === null) model.delete(hex(keyHash));
        else model.set(hex(keyHash), [keyHash, value]);
      }
      assert.equal(hex(update.root), hex(referenceRoot([...model.values()])), `round ${round}`);
    }
    assert.ok(model.size > 3000, `${model.size} keys`);
    assertSameStore(store, freshStore([...model.values()]));
  });

  it('rejects malformed changes with a typed error', () => {
    const store = new MemoryTreeStore();
    const cases: Array<[TreeChange, string]> = [
      [{ keyHash: new Uint8Array(31), value: null }, 'INVALID_KEY_HASH'],
      [{ keyHash: 'abc' as unknown as Uint8Array, value: null }, 'INVALID_KEY_HASH'],
      [{ keyHash: new Uint8Array(32), value: 'x' as unknown as Uint8Array }, 'INVALID_TREE_VALUE'],
    ];
    for (const [bad, code] of cases) {
      assert.throws(
        () => updateTree(store, [bad]),
        (e: unknown) => e instanceof CommitmentError && e.code === code,
      );
    }
    assert.throws(
      () => proveKey(store, new Uint8Array(33)),
      (e: unknown) => e instanceof CommitmentError && e.code === 'INVALID_KEY_HASH',
    );
  });

  it('reports a missing or corrupt node with a typed error', () => {
    const store = freshStore([
      [key(0x10), Uint8Array.of(1)],
      [key(0x11), Uint8Array.of(2)],
      [key(0x20), Uint8Array.of(3)],
    ]);
    // Root [00] and the node at path "1" [10 01], which holds the leaves of 0x10 and 0x11.
    const child = '1001';
    const isCode = (code: string) => (e: unknown) => e instanceof CommitmentError && e.code === code;
    const missing: TreeReader = { getNode: (k) => (hex(k) === child ? undefined : store.getNode(k)) };
    assert.throws(
      () => updateTree(missing, [{ keyHash: key(0x10, 1), value: Uint8Array.of(5) }]),
      isCode('MISSING_TREE_NODE'),
    );
    assert.throws(() => proveKey(missing, key(0x10)), isCode('MISSING_TREE_NODE'));
    const garbage: TreeReader = {
      getNode: (k) => (k.length === 1 ? Uint8Array.of(7, 7, 7) : store.getNode(k)),
    };
    assert.throws(() => rootOf(garbage), isCode('CORRUPT_TREE_NODE'));
    // A leaf is stored only at the root: below it, a well-formed leaf is corrupt.
    const leafBelow: TreeReader = {
      getNode: (k) => (hex(k) === child ? Uint8Array.of(0, ...key(0x10), ...ZERO) : store.getNode(k)),
    };
    assert.throws(
      () => updateTree(leafBelow, [{ keyHash: key(0x11), value: Uint8Array.of(6) }]),
      isCode('CORRUPT_TREE_NODE'),
    );
    assert.throws(() => proveKey(leafBelow, key(0x11)), isCode('CORRUPT_TREE_NODE'));
    // A node whose length does not match its masks.
    const truncated: TreeReader = {
      getNode: (k) => (hex(k) === child ? store.getNode(k)!.subarray(0, 100) : store.getNode(k)),
    };
    assert.throws(() => proveKey(truncated, key(0x11)), isCode('CORRUPT_TREE_NODE'));
  });
});

describe('account tree: node keys', () => {
  it('are packed nibbles then the nibble count, and sort in pre-order', () => {
    const store = freshStore([
      [key(0x12), Uint8Array.of(1)],
      [key(0x13), Uint8Array.of(2)],
      [key(0x40), Uint8Array.of(3)],
    ]);
    // root [00] and the node at path "1" [10 01]; the leaves ("12", "13", "4") live in them.
    assert.deepEqual(
      store.entries().map(([k]) => hex(k)),
      ['00', '1001'],
    );
  });
});

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[bit >> 3] ^= 0x80 >> (bit & 7);
  return out;
}

function isEncodingError(e: unknown): boolean {
  return e instanceof CommitmentError && e.code === 'INVALID_PROOF_ENCODING';
}

/** A map of 1..30 keys (with long shared prefixes) and keys absent from it, some close to present ones. */
const mapAndProbes = keyPool(40).chain((keys) =>
  fc.record({
    present: fc.constant(keys.slice(0, Math.max(1, Math.ceil(keys.length * 0.75)))),
    absentPool: fc.constant(keys.slice(Math.max(1, Math.ceil(keys.length * 0.75)))),
    values: fc.array(smallValue, { minLength: keys.length, maxLength: keys.length }),
    near: fc.array(
      fc.record({
        of: fc.nat(),
        bits: fc.integer({ min: 1, max: 255 }),
        tail: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      }),
      {
        maxLength: 10,
      },
    ),
  }),
);

describe('account tree: proofs', () => {
  it('prove inclusion, and fail for a wrong value, key, root or a tampered sibling', () => {
    fc.assert(
      fc.property(mapAndProbes, fc.nat(), ({ present, values }, pick) => {
        const entries: Entry[] = present.map((k, i) => [k, values[i]]);
        const store = freshStore(entries);
        const root = rootOf(store);
        for (const [key, value] of entries) {
          const proof = proveKey(store, key);
          assert.equal(verifyProof(root, key, value, proof), true, 'inclusion verifies');
          assert.notEqual(proof.leaf, null, 'an inclusion proof ends at a leaf');
          // Round trip through bytes.
          const decoded = decodeProof(encodeProof(proof));
          assert.deepEqual(decoded, proof);
          assert.equal(verifyProof(root, key, value, decoded), true, 'decoded inclusion verifies');
          // Wrong value, or claiming absence.
          assert.equal(verifyProof(root, key, Uint8Array.of(...value, 0), proof), false, 'wrong value');
          assert.equal(verifyProof(root, key, null, proof), false, 'present key claimed absent');
          // Wrong root.
          assert.equal(
            verifyProof(flipBit(root, pick % 256), key, value, proof),
            false,
            'wrong root (bit flip)',
          );
          assert.equal(verifyProof(EMPTY_ROOT, key, value, proof), false, 'wrong root (empty)');
          // Wrong key: another present key, or this key with one bit flipped.
          const other = entries[pick % entries.length];
          if (hex(other[0]) !== hex(key))
            assert.equal(verifyProof(root, other[0], value, proof), false, 'wrong key (another present key)');
          assert.equal(
            verifyProof(root, flipBit(key, pick % 256), value, proof),
            false,
            'wrong key (bit flip)',
          );
          // Tampered sibling (empty ones too).
          if (proof.siblings.length > 0) {
            const at = pick % proof.siblings.length;
            const siblings = proof.siblings.map((s, i) => (i === at ? flipBit(s, (pick >> 3) % 256) : s));
            assert.equal(verifyProof(root, key, value, { ...proof, siblings }), false, 'tampered sibling');
            assert.equal(
              verifyProof(root, key, value, { ...proof, siblings: proof.siblings.slice(1) }),
              false,
              'sibling dropped',
            );
          }
          // Tampered leaf.
          const leaf = proof.leaf!;
          const tampered = { ...proof, leaf: { ...leaf, valueHash: flipBit(leaf.valueHash, 3) } };
          assert.equal(verifyProof(root, key, value, tampered), false, 'tampered leaf');
        }
      }),
      { seed: SEED + 10, numRuns: 80 },
    );
  });

  it('prove absence (empty subtree or another leaf on the path), and fail when the key is present', () => {
    let endsAtOtherLeaf = 0;
    let endsEmpty = 0;
    fc.assert(
      fc.property(mapAndProbes, ({ present, absentPool, values, near }) => {
        const entries: Entry[] = present.map((k, i) => [k, values[i]]);
        const store = freshStore(entries);
        const root = rootOf(store);
        const presentHex = new Set(present.map(hex));
        // Absent keys: the spare pool, and keys sharing 1..255 bits with a present key.
        const absent = [
          ...absentPool,
          ...near.map((n) => withPrefix(present[n.of % present.length], n.bits, n.tail)),
        ].filter((k) => !presentHex.has(hex(k)));
        for (const key of absent) {
          const proof = proveKey(store, key);
          assert.equal(verifyProof(root, key, null, proof), true, 'absence verifies');
          assert.equal(verifyProof(root, key, Uint8Array.of(), proof), false, 'absent key claimed present');
          assert.equal(
            verifyProof(root, key, null, decodeProof(encodeProof(proof))),
            true,
            'decoded absence verifies',
          );
          if (proof.leaf) {
            endsAtOtherLeaf++;
            // The leaf found is present, and its own proof is this proof.
            assert.ok(presentHex.has(hex(proof.leaf.keyHash)), 'the leaf found is a present key');
            assert.equal(
              verifyProof(root, proof.leaf.keyHash, null, proof),
              false,
              'leaf found claimed absent',
            );
          } else endsEmpty++;
        }
        // A present key's proof never proves its absence, nor that of a key off its path
        // (with no siblings, the map is that one leaf, on every key's path).
        for (const [key] of entries) {
          const proof = proveKey(store, key);
          assert.equal(verifyProof(root, key, null, proof), false, 'present key claimed absent');
          const offPath = flipBit(key, 0);
          if (proof.siblings.length > 0)
            assert.equal(
              verifyProof(root, offPath, null, proof),
              false,
              'off-path key claimed absent from a present key proof',
            );
          else
            assert.equal(
              verifyProof(root, offPath, null, proof),
              true,
              'single leaf: absence of any other key',
            );
        }
      }),
      { seed: SEED + 11, numRuns: 80 },
    );
    assert.ok(endsAtOtherLeaf > 20 && endsEmpty > 20, `cases: leaf ${endsAtOtherLeaf}, empty ${endsEmpty}`);
  });

  it('rejects an absence claim built from a leaf that is not on the path', () => {
    // Two keys that split at bit 0: the proof of `a` has one sibling.
    const a = new Uint8Array(32);
    const b = new Uint8Array(32).fill(0xff);
    const store = freshStore([
      [a, Uint8Array.of(1)],
      [b, Uint8Array.of(2)],
    ]);
    const root = rootOf(store);
    const proof = proveKey(store, a);
    assert.equal(proof.siblings.length, 1);
    // c shares bit 0 with a, so a's leaf does sit on c's path: absence holds.
    const c = withPrefix(a, 1, new Uint8Array(32).fill(0x7f));
    assert.equal(verifyProof(root, c, null, proof), true, 'leaf on the path proves absence');
    // d does not share bit 0 with a: a's leaf says nothing about d.
    const d = withPrefix(b, 1, new Uint8Array(32).fill(0x01));
    assert.equal(verifyProof(root, d, null, proof), false, 'leaf off the path proves nothing');
    // Even against a root made up to fit (a's leaf on d's side), the verifier checks the prefix.
    const leafA = sha256Parts(Uint8Array.of(0), a, sha256(Uint8Array.of(1)));
    const madeUp = sha256Parts(Uint8Array.of(1), ZERO, leafA);
    const forged = { leaf: proof.leaf, siblings: [ZERO] };
    assert.equal(verifyProof(madeUp, d, null, forged), false, 'a leaf off the path is refused outright');
  });

  it('work on the empty map and on a single key', () => {
    const store = new MemoryTreeStore();
    const k = new Uint8Array(32).fill(3);
    const empty = proveKey(store, k);
    assert.deepEqual(empty, { leaf: null, siblings: [] });
    assert.equal(verifyProof(EMPTY_ROOT, k, null, empty), true, 'absence in the empty map');
    assert.equal(verifyProof(EMPTY_ROOT, k, Uint8Array.of(), empty), false, 'presence in the empty map');
    assert.equal(encodeProof(empty).length, 3);

    const one = freshStore([[k, Uint8Array.of(9)]]);
    const proof = proveKey(one, k);
    assert.equal(proof.siblings.length, 0);
    assert.equal(verifyProof(rootOf(one), k, Uint8Array.of(9), proof), true, 'single key inclusion');
    const other = new Uint8Array(32).fill(4);
    assert.equal(
      verifyProof(rootOf(one), other, null, proveKey(one, other)),
      true,
      'single key: absence of another key',
    );
  });

  it('reach 256 siblings for keys that differ only in the last bit', () => {
    const a = new Uint8Array(32).fill(0x42);
    const b = flipBit(a, 255);
    const store = freshStore([
      [a, Uint8Array.of(1)],
      [b, Uint8Array.of(2)],
    ]);
    const proof = proveKey(store, b);
    assert.equal(proof.siblings.length, MAX_PROOF_SIBLINGS);
    const bytes = encodeProof(proof);
    assert.equal(bytes.length, 1 + 64 + 2 + 32 + 32, 'only the one non-empty sibling is stored');
    assert.equal(
      verifyProof(rootOf(store), b, Uint8Array.of(2), decodeProof(bytes)),
      true,
      '256-sibling inclusion',
    );
    assert.equal(
      verifyProof(rootOf(store), a, Uint8Array.of(2), proof),
      false,
      '256-sibling proof for the other key',
    );
  });

  it('verifyProof returns false, never throws, on malformed input', () => {
    const store = freshStore([[new Uint8Array(32), Uint8Array.of(1)]]);
    const root = rootOf(store);
    const k = new Uint8Array(32);
    const good = proveKey(store, k);
    const bad: Array<[Uint8Array, Uint8Array, TreeProof]> = [
      [root.subarray(1), k, good],
      [root, k.subarray(1), good],
      [root, k, { leaf: { keyHash: k.subarray(1), valueHash: good.leaf!.valueHash }, siblings: [] }],
      [root, k, { leaf: good.leaf, siblings: [new Uint8Array(31)] }],
      [root, k, { leaf: good.leaf, siblings: new Array(257).fill(new Uint8Array(32)) }],
      [root, k, { leaf: good.leaf, siblings: 'nope' as unknown as Uint8Array[] }],
    ];
    for (const [r, key, proof] of bad) assert.equal(verifyProof(r, key, Uint8Array.of(1), proof), false);
  });
});

describe('account tree: proof encoding', () => {
  it('rejects garbage with a typed error', () => {
    const leafProof = encodeProof({
      leaf: { keyHash: new Uint8Array(32), valueHash: new Uint8Array(32) },
      siblings: [],
    });
    const cases: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['unknown flags', Uint8Array.of(2, 0, 0)],
      ['truncated leaf', leafProof.subarray(0, 40)],
      ['truncated count', Uint8Array.of(0, 0)],
      ['too many siblings', Uint8Array.of(0, 1, 1)],
      ['missing bitmap', Uint8Array.of(0, 0, 3)],
      ['nonzero padding bits', Uint8Array.of(0, 0, 3, 0b0001_0000)],
      ['missing sibling', Uint8Array.of(0, 0, 1, 0x80)],
      ['empty sibling marked present', Uint8Array.of(0, 0, 1, 0x80, ...new Uint8Array(32))],
      ['trailing bytes', Uint8Array.of(0, 0, 0, 0)],
      ['not bytes', 'proof' as unknown as Uint8Array],
    ];
    for (const [what, bytes] of cases) {
      assert.throws(() => decodeProof(bytes), isEncodingError, what);
    }
    assert.throws(() => encodeProof({ leaf: null, siblings: [new Uint8Array(3)] }), isEncodingError);
  });

  it('decodes any bytes either to a typed error or to a proof that re-encodes to the same bytes', () => {
    const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const proofArb: fc.Arbitrary<TreeProof> = fc.record({
      leaf: fc.option(fc.record({ keyHash: hash32, valueHash: hash32 })),
      siblings: fc.array(fc.oneof(fc.constant(new Uint8Array(32)), hash32), { maxLength: 20 }),
    });
    const bytesLike = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // Valid encodings, and valid encodings with one byte changed, cut short or extended.
      proofArb.map(encodeProof),
      fc
        .tuple(proofArb.map(encodeProof), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(3))
        .map(([bytes, at, xor, how]) => {
          const i = at % bytes.length;
          if (how === 0) return bytes.subarray(0, i);
          if (how === 1) return Uint8Array.of(...bytes, xor);
          const out = new Uint8Array(bytes);
          out[i] ^= xor;
          return out;
        }),
    );
    let decoded = 0;
    fc.assert(
      fc.property(bytesLike, (bytes) => {
        let proof: TreeProof;
        try {
          proof = decodeProof(bytes);
        } catch (e) {
          assert.ok(isEncodingError(e), String(e));
          return;
        }
        decoded++;
        assert.equal(hex(encodeProof(proof)), hex(bytes));
      }),
      { seed: SEED + 12, numRuns: 2000 },
    );
    assert.ok(decoded > 400, `only ${decoded} inputs decoded`);
  });
});
