/**
 * Fuzzed decoders of the account tree (src/commitment) and of account bytes (src/state):
 * proof bytes, which a client reads from any node (decodeAccountProof in src/chain is this
 * decodeProof), the stored tree nodes, and the stored accounts. A proof that decodes must
 * also never prove more than the genuine one: against the real root, a mutated proof that
 * decodes verifies nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeAccountProof } from '../../../src/chain/index.js';
import {
  CommitmentError,
  decodeProof,
  encodeProof,
  MAX_PROOF_SIBLINGS,
  MemoryTreeStore,
  proveKey,
  updateTree,
  verifyProof,
} from '../../../src/commitment/index.js';
import {
  decodeNode,
  encodeInternal,
  encodeLeaf,
  INTERNAL_TAG,
  positionDigest,
  slotDigest,
  type TreeNode,
} from '../../../src/commitment/nodes.js';
import { equalBytes } from '../../../src/crypto/bytes.js';
import { InvalidInputError } from '../../../src/errors.js';
import { ACCOUNT_BYTES, decodeAccount, encodeAccount } from '../../../src/state/accounts.js';
import { bytes32 } from './arbitraries.js';
import { assertDecoderProperty, checkBinaryDecoder, FUZZ_SEED, fuzzParameters, mutationsOf } from './fuzz.js';

/**
 * A tree of random keys plus clusters of keys that share long prefixes, so that paths run
 * deep (long proofs) and nodes hold every mix of leaf and internal children.
 */
function buildTree(): { store: MemoryTreeStore; root: Uint8Array; values: Map<string, Uint8Array> } {
  const keys = fc.sample(bytes32, { seed: FUZZ_SEED, numRuns: 120 });
  for (const [i, base] of keys.slice(0, 12).entries())
    for (let k = 0; k < 3; k++) {
      const key = base.slice();
      const bit = 8 + ((i * 23 + k * 61) % 240);
      key[bit >> 3] ^= 0x80 >> (bit & 7);
      keys.push(key);
    }
  const values = new Map<string, Uint8Array>();
  for (const [i, key] of keys.entries()) values.set(Buffer.from(key).toString('hex'), Uint8Array.of(i, 7));
  const store = new MemoryTreeStore();
  const update = updateTree(
    store,
    keys.map((keyHash) => ({ keyHash, value: values.get(Buffer.from(keyHash).toString('hex'))! })),
  );
  store.apply(update);
  return { store, root: update.root, values };
}

const TREE = buildTree();
const PRESENT_KEYS = [...TREE.values.keys()].map((h) => new Uint8Array(Buffer.from(h, 'hex')));

/** Keys to prove: present ones, absent neighbours of present ones (long absence paths), random. */
const provedKey = fc.oneof(
  fc.constantFrom(...PRESENT_KEYS),
  fc.tuple(fc.constantFrom(...PRESENT_KEYS), fc.nat(255)).map(([key, bit]) => {
    const out = key.slice();
    out[bit >> 3] ^= 0x80 >> (bit & 7);
    return out;
  }),
  bytes32,
);

/** Proofs of any shape the format allows (not from a tree): up to the full 256 siblings. */
const zeroOr32 = fc.oneof(fc.constant(new Uint8Array(32)), bytes32);
const anyProof = fc.record({
  leaf: fc.option(fc.record({ keyHash: bytes32, valueHash: bytes32 }), { nil: null }),
  siblings: fc.oneof(
    fc.array(zeroOr32, { maxLength: 20 }),
    fc.array(zeroOr32, { minLength: MAX_PROOF_SIBLINGS - 9, maxLength: MAX_PROOF_SIBLINGS }),
  ),
});

describe('fuzzed account tree proofs', () => {
  it('proof bytes decode to a proof that re-encodes to them, or throw a CommitmentError', () => {
    assert.equal(decodeAccountProof, decodeProof, 'an account proof is a tree proof');
    assertDecoderProperty(
      mutationsOf(anyProof.map(encodeProof), 64),
      (input) => {
        const outcome = checkBinaryDecoder(input, decodeProof, encodeProof, CommitmentError);
        // a decoded proof of any shape is checked, never thrown on
        if (outcome === 'decoded')
          assert.equal(typeof verifyProof(TREE.root, PRESENT_KEYS[0], null, decodeProof(input)), 'boolean');
        return outcome;
      },
      800,
    );
  });

  it('a mutated proof of a real tree is refused, or proves nothing the genuine one does not', () => {
    const cases = provedKey.chain((key) => {
      const genuine = encodeProof(proveKey(TREE.store, key));
      return mutationsOf(fc.constant(genuine), 64).map((input) => ({ key, genuine, input }));
    });
    const seen = { genuine: 0, forged: 0, refused: 0 };
    fc.assert(
      fc.property(cases, ({ key, genuine, input }) => {
        const value = TREE.values.get(Buffer.from(key).toString('hex')) ?? null;
        const outcome = checkBinaryDecoder(input, decodeProof, encodeProof, CommitmentError);
        if (outcome === 'refused') {
          seen.refused++;
          return;
        }
        const proof = decodeProof(input);
        const same = equalBytes(input, genuine);
        seen[same ? 'genuine' : 'forged']++;
        assert.equal(verifyProof(TREE.root, key, value, proof), same, 'only the genuine proof verifies');
        const otherValue = value === null ? Uint8Array.of(1) : null;
        assert.equal(verifyProof(TREE.root, key, otherValue, proof), false, 'no proof shows another value');
      }),
      fuzzParameters(800),
    );
    assert.ok(seen.genuine > 0 && seen.forged > 0 && seen.refused > 0, JSON.stringify(seen));
  });

  it('refuses a sibling count above 256 and a 2-byte input that claims 65,535 siblings', () => {
    assert.throws(() => decodeProof(Uint8Array.of(0, 0xff, 0xff)), { code: 'INVALID_PROOF_ENCODING' });
    assert.throws(() => decodeProof(Uint8Array.of(0, 0x01, 0x01, ...new Uint8Array(40))), {
      code: 'INVALID_PROOF_ENCODING',
    });
  });
});

/** Every node value of the tree, and the canonical bytes of a decoded node. */
const STORED_NODES = TREE.store.entries().map(([, value]) => value);
const encodeNode = (node: TreeNode) =>
  node.kind === INTERNAL_TAG ? encodeInternal(node) : encodeLeaf(node.keyHash, node.valueHash);

describe('fuzzed stored tree nodes', () => {
  it('a stored node decodes to one that re-encodes to its bytes and reads in bounds, or throws a CommitmentError', () => {
    assert.ok(STORED_NODES.length > 50);
    const singleLeaf = fc.tuple(bytes32, bytes32).map(([k, v]) => {
      const store = new MemoryTreeStore();
      store.apply(updateTree(store, [{ keyHash: k, value: v }]));
      return store.entries()[0][1];
    });
    assertDecoderProperty(
      mutationsOf(fc.oneof(fc.constantFrom(...STORED_NODES), singleLeaf), 300),
      (input) =>
        checkBinaryDecoder(
          input,
          (bytes) => {
            const node = decodeNode(bytes, '\x00');
            if (node.kind === INTERNAL_TAG) {
              // every digest the masks promise lies inside the bytes: none is short or past the end
              for (let n = 0; n < 16; n++) assert.equal(slotDigest(node, n).length, 32);
              for (let pos = 2; pos < 16; pos++) assert.equal(positionDigest(node, pos, 0).length, 32);
            }
            return node;
          },
          encodeNode,
          CommitmentError,
        ),
      1000,
    );
  });
});

describe('fuzzed stored accounts', () => {
  it('an account decodes to one that re-encodes to its bytes, or throws an InvalidInputError', () => {
    const accountArb = fc
      .record({
        balance: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        nonce: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      })
      .map(encodeAccount);
    assertDecoderProperty(
      fc.oneof(
        mutationsOf(accountArb, ACCOUNT_BYTES + 4),
        fc.uint8Array({ minLength: ACCOUNT_BYTES, maxLength: ACCOUNT_BYTES }),
      ),
      (input) => checkBinaryDecoder(input, decodeAccount, encodeAccount, InvalidInputError),
      500,
    );
  });
});
