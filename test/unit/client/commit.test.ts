import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hashHeader } from '../../../src/chain/index.js';
import {
  ClientError,
  type ClientErrorCode,
  type CommitProof,
  checkQuorumCertificate,
  verifyCertificateBytes,
  verifyCommitProof,
} from '../../../src/client/index.js';
import { encodeQc, type QuorumCertificate, verifyQuorumCertificate } from '../../../src/consensus/index.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { buildChain, commitProofOf, STRANGER_SECRETS, signQc, type TestBlock, TRUST } from './helpers.js';

const { validatorSet: VS, verifier: VERIFIER } = TRUST;

function clientError(code: ClientErrorCode): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ClientError, `expected a ClientError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

const verify = (proof: CommitProof, options?: { maxCommitChainHeaders: number }) =>
  verifyCommitProof(proof, VS, VERIFIER, options);

// rounds of heights 1..9: 1 2 3 5 7 8 9 11 12; 2-chains (parent, child) at heights (0,1) (1,2)
// (5,6) (6,7) (8,9): blocks 3 and 4 are committed by D = 5, block 7 by D = 8, the rest by their child
const STEPS = new Map([
  [4, 2],
  [5, 2],
  [8, 2],
]);
const BLOCKS: TestBlock[] = buildChain(9, (h) => STEPS.get(h) ?? 1);

describe('client: quorum certificates', () => {
  const b = BLOCKS[3];
  const target = { blockId: b.id, round: b.header.round };
  const check = (qc: QuorumCertificate) => checkQuorumCertificate(qc, target, VS, VERIFIER);

  it('accepts a quorum of distinct genesis validators, any quorum of them', () => {
    for (const signers of [
      [0, 1, 2],
      [0, 1, 3],
      [1, 2, 3],
      [0, 1, 2, 3],
    ])
      check(signQc(b.header.round, b.id, signers));
    assert.equal(TRUST.quorum, 3);
  });

  it('refuses a duplicate signer (decoded), and bytes that repeat a signer as not a QC', () => {
    const dup = signQc(b.header.round, b.id, [0, 0, 1]);
    assert.throws(() => check(dup), clientError('DUPLICATE_SIGNER'));
    // the one encoding lists signers increasing: a repeat cannot be encoded canonically
    assert.throws(
      () => verifyCertificateBytes(encodeQc(dup), target, VS, VERIFIER),
      clientError('MALFORMED_QC'),
    );
    assert.throws(() => check(signQc(b.header.round, b.id, [2, 0, 1])), clientError('MALFORMED_QC'));
  });

  it('refuses a signer outside the genesis set, in bytes too', () => {
    const qc = signQc(b.header.round, b.id, [0, 1, 7], { secrets: STRANGER_SECRETS });
    assert.throws(() => check(qc), clientError('UNKNOWN_SIGNER'));
    assert.throws(
      () => verifyCertificateBytes(encodeQc(qc), target, VS, VERIFIER),
      clientError('UNKNOWN_SIGNER'),
    );
  });

  it('refuses too little voting power: fewer than quorumSize(n) signers', () => {
    assert.throws(() => check(signQc(b.header.round, b.id, [0, 1])), clientError('INSUFFICIENT_POWER'));
    assert.throws(() => check(signQc(b.header.round, b.id, [])), clientError('INSUFFICIENT_POWER'));
  });

  it('refuses signatures by keys that are not the validators', () => {
    const forged = signQc(b.header.round, b.id, [0, 1, 2], { secrets: STRANGER_SECRETS });
    assert.throws(() => check(forged), clientError('BAD_SIGNATURE'));
    const oneBad = signQc(b.header.round, b.id, [0, 1, 2]);
    oneBad.signatures[2] = forged.signatures[2];
    assert.throws(
      () => check(oneBad),
      (err) => clientError('BAD_SIGNATURE')(err) && /validator 2/.test((err as Error).message),
    );
  });

  it('refuses a QC of another chain as a bad signature: the chain id is in the signed digest', () => {
    const otherChain = signQc(b.header.round, b.id, [0, 1, 2], { chainId: 999n });
    assert.throws(() => check(otherChain), clientError('BAD_SIGNATURE'));
  });

  it('refuses a QC of another genesis with the same chain id and keys: the genesis id is signed too', () => {
    const otherGenesis = signQc(b.header.round, b.id, [0, 1, 2], { genesisId: new Uint8Array(32).fill(7) });
    assert.throws(() => check(otherGenesis), clientError('BAD_SIGNATURE'));
  });

  it('refuses a QC for another block or another round', () => {
    assert.throws(() => check(signQc(b.header.round, BLOCKS[4].id)), clientError('QC_WRONG_BLOCK'));
    assert.throws(() => check(signQc(b.header.round + 1, b.id)), clientError('QC_WRONG_ROUND'));
    assert.throws(
      () => check({ round: 0, blockId: b.id, signers: [], signatures: [] }),
      clientError('QC_WRONG_ROUND'),
    );
    const genesis = { blockId: BLOCKS[0].id, round: 0 };
    checkQuorumCertificate({ ...genesis, signers: [], signatures: [] }, genesis, VS, VERIFIER);
    assert.throws(
      () => checkQuorumCertificate(signQc(0, BLOCKS[0].id), genesis, VS, VERIFIER),
      clientError('QC_WRONG_BLOCK'),
    );
    assert.throws(
      () => verifyCertificateBytes(new Uint8Array([0xc3, 1, 2, 3]), target, VS, VERIFIER),
      clientError('MALFORMED_QC'),
    );
  });

  it('property: the diagnosis never disagrees with consensus verifyQuorumCertificate', () => {
    const digestSigs = signQc(b.header.round, b.id, [0, 1, 2, 3]).signatures;
    const strangers = signQc(b.header.round, b.id, [0, 1, 2, 3], { secrets: STRANGER_SECRETS }).signatures;
    const entry = fc.record({ signer: fc.integer({ min: -1, max: 5 }), forged: fc.boolean() });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), fc.boolean(), (entries, sorted) => {
        const list = sorted ? [...entries].sort((x, y) => x.signer - y.signer) : entries;
        const qc: QuorumCertificate = {
          round: b.header.round,
          blockId: b.id,
          signers: list.map((e) => e.signer),
          signatures: list.map((e) => (e.forged ? strangers : digestSigs)[e.signer] ?? strangers[0]),
        };
        const valid = verifyQuorumCertificate(qc, VS, VERIFIER);
        let error: unknown;
        try {
          check(qc);
        } catch (err) {
          error = err;
        }
        assert.equal(
          error === undefined,
          valid,
          `verdicts differ for signers ${qc.signers}: ${String(error)}`,
        );
        if (error !== undefined) assert.ok(error instanceof ClientError);
      }),
      { seed: 1201, numRuns: 300 },
    );
  });
});

describe('client: proofs of commit', () => {
  it('proves every block up to the last 2-chain, with the headers up to D where rounds were lost', () => {
    for (let h = 0; h <= 8; h++) {
      const proof = commitProofOf(BLOCKS, h);
      const v = verify(proof);
      assert.equal(v.height, h);
      assert.equal(toHex(v.id), toHex(BLOCKS[h].id));
      assert.deepEqual(v.childQc.signers, [0, 1, 2]);
    }
    assert.equal(commitProofOf(BLOCKS, 3).chain.length, 2, 'block 3 is committed by D = block 5');
    assert.equal(commitProofOf(BLOCKS, 6).chain.length, 0, 'block 6 is committed by its own child');
  });

  it('refuses a certified but uncommitted block presented as committed', () => {
    // block 3 (round 5) is certified by block 4's parentQc, but block 4 is round 7
    assert.throws(() => verify(commitProofOf(BLOCKS, 3, 3)), clientError('NOT_COMMITTED'));
    assert.throws(() => verify(commitProofOf(BLOCKS, 3, 4)), clientError('NOT_COMMITTED'));
    // the newest block has no certified child at all: a child of the wrong round, any QC
    const tip = BLOCKS[9];
    const fakeChild = {
      ...tip.header,
      height: 10,
      round: tip.header.round + 3,
      parentHash: tip.id,
      parentQc: tip.qc,
    };
    const proof = {
      header: tip.header,
      chain: [],
      child: fakeChild,
      childQc: encodeQc(signQc(fakeChild.round, hashHeader(fakeChild))),
    };
    assert.throws(() => verify(proof), clientError('NOT_COMMITTED'));
  });

  it('refuses broken links: a skipped height, a foreign parent, a child of another block', () => {
    const proof = commitProofOf(BLOCKS, 3);
    assert.throws(() => verify({ ...proof, chain: proof.chain.slice(1) }), clientError('BROKEN_LINK'));
    const foreign = { ...proof.chain[1], parentHash: BLOCKS[1].id };
    assert.throws(() => verify({ ...proof, chain: [proof.chain[0], foreign] }), clientError('BROKEN_LINK'));
    assert.throws(
      () => verify({ ...proof, child: BLOCKS[8].header, childQc: BLOCKS[8].qc }),
      clientError('BROKEN_LINK'),
    );
    // a header whose parentQc certifies another block than its parent
    const relabelled = { ...proof.chain[0], parentQc: BLOCKS[1].qc };
    assert.throws(() => verify({ ...proof, chain: [relabelled] }), clientError('QC_WRONG_BLOCK'));
  });

  it('refuses a child QC or a D certificate for another block, round or chain, or too weak', () => {
    const proof = commitProofOf(BLOCKS, 6);
    const c = proof.child;
    const cid = hashHeader(c);
    const with_ = (qc: QuorumCertificate) => ({ ...proof, childQc: encodeQc(qc) });
    assert.throws(() => verify(with_(signQc(c.round, BLOCKS[3].id))), clientError('QC_WRONG_BLOCK'));
    assert.throws(() => verify(with_(signQc(c.round + 1, cid))), clientError('QC_WRONG_ROUND'));
    assert.throws(
      () => verify(with_(signQc(c.round, cid, [0, 1, 2], { chainId: 999n }))),
      clientError('BAD_SIGNATURE'),
    );
    assert.throws(() => verify(with_(signQc(c.round, cid, [1, 3]))), clientError('INSUFFICIENT_POWER'));
    assert.throws(
      () => verify(with_(signQc(c.round, cid, [0, 1, 2], { secrets: STRANGER_SECRETS }))),
      clientError('BAD_SIGNATURE'),
    );
    // C's parentQc (D's certificate) is checked as strictly: a child re-signed over a weak one
    const weakChild = { ...c, parentQc: encodeQc(signQc(BLOCKS[6].header.round, BLOCKS[6].id, [0, 2])) };
    const reSigned = {
      ...proof,
      child: weakChild,
      childQc: encodeQc(signQc(c.round, hashHeader(weakChild))),
    };
    assert.throws(() => verify(reSigned), clientError('INSUFFICIENT_POWER'));
  });

  it("refuses another network's chain, signed by the same keys, as bad signatures", () => {
    const other = buildChain(3, () => 1, 999n);
    assert.throws(() => verify(commitProofOf(other, 1)), clientError('BAD_SIGNATURE'));
  });

  it('refuses a chain of headers longer than the bound before hashing it', () => {
    const proof = commitProofOf(BLOCKS, 3);
    assert.equal(verify(proof, { maxCommitChainHeaders: 3 }).height, 3);
    assert.throws(() => verify(proof, { maxCommitChainHeaders: 2 }), clientError('CHAIN_TOO_LONG'));
    const huge = { ...proof, chain: Array.from({ length: 100 }, () => proof.chain[0]) };
    assert.throws(() => verify(huge), clientError('CHAIN_TOO_LONG'));
  });

  it('property: a proof verifies exactly when its D and C form a 2-chain over any round pattern', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 6, maxLength: 6 }), (steps) => {
        const blocks = buildChain(6, (h) => steps[h - 1]);
        for (let h = 1; h <= 5; h++)
          for (let d = h; d <= 5; d++) {
            const committing = blocks[d + 1].header.round === blocks[d].header.round + 1;
            const proof = commitProofOf(blocks, h, d);
            if (committing) assert.equal(verify(proof).height, h);
            else assert.throws(() => verify(proof), clientError('NOT_COMMITTED'));
          }
      }),
      { seed: 1202, numRuns: 25 },
    );
  });
});
