import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { merkleProof, proveAccount, receiptProof } from '../../../src/chain/index.js';
import {
  type AccountProofJson,
  accountProofToJson,
  ClientError,
  type ClientErrorCode,
  type CommittedAccountProof,
  type CommittedTxProof,
  parseAccountProof,
  parseTxProof,
  type TxProofJson,
  txProofToJson,
  verifyAccountState,
  verifyCommitProof,
  verifyCommittedAccount,
  verifyCommittedTx,
  verifyTxInclusion,
  verifyTxReceipt,
} from '../../../src/client/index.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { testAddress } from '../../support/transfers.js';
import { buildChain, commitProofOf, SENDERS, TRUST } from './helpers.js';

const { validatorSet: VS, verifier: VERIFIER } = TRUST;
// heights 1..6, one round each: every block up to 5 is committed by its child
const BLOCKS = buildChain(6);

function clientError(code: ClientErrorCode): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ClientError, `expected a ClientError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

/** The proof of the transaction at `index` of block `height` (it holds height % 3 of them). */
function txProofOf(height: number, index: number): CommittedTxProof {
  const hashes = BLOCKS[height].transfers.map((t) => t.hash);
  const receipts = BLOCKS[height].receipts;
  return {
    commit: commitProofOf(BLOCKS, height),
    inclusion: { txHash: hashes[index], proof: merkleProof(hashes, index) },
    receipt: { receipt: receipts[index], proof: receiptProof(receipts, index) },
  };
}

function accountProofOf(height: number, address: Uint8Array): CommittedAccountProof {
  const p = proveAccount(BLOCKS[height].view, address);
  return { commit: commitProofOf(BLOCKS, height), account: { address, account: p.account, proof: p.proof } };
}

describe('client: transaction inclusion', () => {
  it('proves each transaction of a committed block at its index', () => {
    for (const height of [1, 2, 4, 5])
      for (const [index, t] of BLOCKS[height].transfers.entries()) {
        const v = verifyCommittedTx(txProofOf(height, index), t.hash, VS, VERIFIER);
        assert.equal(v.commit.height, height);
        assert.equal(v.index, index);
        assert.deepEqual(v.receipt, BLOCKS[height].receipts[index]);
        assert.deepEqual(v.receipt.from, t.from);
      }
  });

  it("refuses a receipt that is not the transaction's own under the receipts root", () => {
    const proof = txProofOf(5, 1);
    const tx = verifyTxInclusion(
      verifyCommitProof(proof.commit, VS, VERIFIER),
      proof.inclusion.txHash,
      proof.inclusion,
    );
    const { receipt } = proof.receipt;
    const forged: [string, typeof proof.receipt][] = [
      ['a lower fee', { ...proof.receipt, receipt: { ...receipt, fee: receipt.fee - 1n } }],
      ['another recipient', { ...proof.receipt, receipt: { ...receipt, to: testAddress(5) } }],
      ['another gas price', { ...proof.receipt, receipt: { ...receipt, effectiveGasPrice: 1n } }],
      // the other transaction's receipt of the same block, with its own valid proof
      ['its neighbour', txProofOf(5, 0).receipt],
      // the transaction's own receipt proven at the neighbour's index
      ['another index', { receipt, proof: { ...txProofOf(5, 0).receipt.proof } }],
      // the same receipt with the proof of the same index in another block
      ['another block', { receipt, proof: txProofOf(2, 1).receipt.proof }],
    ];
    for (const [what, claim] of forged)
      assert.throws(() => verifyTxReceipt(tx, claim), clientError('BAD_RECEIPT_PROOF'), what);
    assert.deepEqual(verifyTxReceipt(tx, proof.receipt).receipt, receipt);
  });

  it('refuses a proof of another transaction, and one against another block or root', () => {
    const proof = txProofOf(2, 1);
    const asked = BLOCKS[2].transfers[0].hash;
    assert.throws(() => verifyCommittedTx(proof, asked, VS, VERIFIER), clientError('WRONG_TX'));
    // the inclusion proof of block 2's transaction presented with block 1's commit
    const elsewhere = { ...proof, commit: commitProofOf(BLOCKS, 1) };
    assert.throws(
      () => verifyCommittedTx(elsewhere, proof.inclusion.txHash, VS, VERIFIER),
      clientError('BAD_TX_PROOF'),
    );
    // a transaction of block 1 claimed to be in block 2
    const commit2 = verifyCommitProof(commitProofOf(BLOCKS, 2), VS, VERIFIER);
    const t1 = BLOCKS[1].transfers[0].hash;
    assert.throws(
      () => verifyTxInclusion(commit2, t1, { txHash: t1, proof: merkleProof([t1], 0) }),
      clientError('BAD_TX_PROOF'),
    );
    const bent = { ...proof.inclusion.proof, siblings: [new Uint8Array(32).fill(9)] };
    assert.throws(
      () => verifyTxInclusion(commit2, proof.inclusion.txHash, { ...proof.inclusion, proof: bent }),
      clientError('BAD_TX_PROOF'),
    );
  });
});

describe('client: account state', () => {
  const funded = addressOf(SENDERS[1]);
  const fresh = testAddress(77);

  it('proves a balance and nonce, and the absence of an account, at a committed block', () => {
    const expected = BLOCKS[4].view.state.getAccount(funded)!;
    const v = verifyCommittedAccount(accountProofOf(4, funded), funded, VS, VERIFIER);
    assert.deepEqual(
      [v.exists, v.balance, v.nonce, v.commit.height],
      [true, expected.balance, expected.nonce, 4],
    );
    assert.ok(v.nonce > 0n, 'the account has sent transfers by block 4');
    const absent = verifyCommittedAccount(accountProofOf(4, fresh), fresh, VS, VERIFIER);
    assert.deepEqual([absent.exists, absent.balance, absent.nonce], [false, 0n, 0n]);
  });

  it('refuses a proof of another address, against another root, or with another balance', () => {
    const proof = accountProofOf(4, funded);
    const other = addressOf(SENDERS[2]);
    assert.throws(() => verifyCommittedAccount(proof, other, VS, VERIFIER), clientError('WRONG_ADDRESS'));
    // block 1's state proof against block 4's root: the balance changed in between
    const stale = { ...accountProofOf(1, funded), commit: proof.commit };
    assert.throws(
      () => verifyCommittedAccount(stale, funded, VS, VERIFIER),
      clientError('BAD_ACCOUNT_PROOF'),
    );
    const commit = verifyCommitProof(proof.commit, VS, VERIFIER);
    const account = proof.account.account!;
    const richer = { ...proof.account, account: { ...account, balance: account.balance + 1n } };
    assert.throws(() => verifyAccountState(commit, funded, richer), clientError('BAD_ACCOUNT_PROOF'));
    const older = { ...proof.account, account: { ...account, nonce: account.nonce - 1n } };
    assert.throws(() => verifyAccountState(commit, funded, older), clientError('BAD_ACCOUNT_PROOF'));
    // a funded account presented as absent, and an absent one with the funded one's proof
    const hidden = { ...proof.account, account: null };
    assert.throws(() => verifyAccountState(commit, funded, hidden), clientError('BAD_ACCOUNT_PROOF'));
    const made = { address: fresh, account, proof: proof.account.proof };
    assert.throws(() => verifyAccountState(commit, fresh, made), clientError('BAD_ACCOUNT_PROOF'));
  });
});

describe('client: the JSON form of proofs', () => {
  it('round-trips through JSON text, and verifies after parsing', () => {
    const tx = txProofOf(5, 1);
    const txJson: TxProofJson = JSON.parse(JSON.stringify(txProofToJson(tx)));
    assert.equal(txJson.commit.header.chainId, '1337');
    assert.match(txJson.commit.childQc, /^0x[0-9a-f]+$/);
    const parsedTx = parseTxProof(txJson);
    assert.deepEqual(txProofToJson(parsedTx), txJson);
    assert.equal(verifyCommittedTx(parsedTx, tx.inclusion.txHash, VS, VERIFIER).commit.height, 5);

    const funded = addressOf(SENDERS[0]);
    const acct = accountProofOf(3, funded);
    const acctJson: AccountProofJson = JSON.parse(JSON.stringify(accountProofToJson(acct)));
    assert.equal(acctJson.account.balance, acct.account.account!.balance.toString());
    const parsedAcct = parseAccountProof(acctJson);
    assert.deepEqual(accountProofToJson(parsedAcct), acctJson);
    assert.equal(
      verifyCommittedAccount(parsedAcct, funded, VS, VERIFIER).balance,
      acct.account.account!.balance,
    );
  });

  it('refuses malformed JSON with the path of the fault, and bounds lists before reading them', () => {
    const good = txProofToJson(txProofOf(5, 1));
    const cases: [unknown, RegExp][] = [
      [null, /the proof must be a JSON object/],
      [{ ...good, extra: 1 }, /^extra is not a field/],
      [{ commit: good.commit }, /^inclusion is required/],
      [{ ...good, commit: { ...good.commit, childQc: '0x1' } }, /^commit\.childQc must be 0x-prefixed hex/],
      [
        { ...good, commit: { ...good.commit, header: { ...good.commit.header, height: -1 } } },
        /header\.height/,
      ],
      [{ ...good, commit: { ...good.commit, header: { ...good.commit.header, chainId: '01' } } }, /chainId/],
      [
        { ...good, commit: { ...good.commit, header: { ...good.commit.header, txRoot: '0xab' } } },
        /32 bytes/,
      ],
      [{ ...good, inclusion: { ...good.inclusion, index: 9, total: 2 } }, /index must be below total/],
      [
        { ...good, inclusion: { ...good.inclusion, siblings: Array(65).fill(good.commit.header.txRoot) } },
        /at most 64/,
      ],
      [{ ...good, commit: { ...good.commit, child: 'x' } }, /commit\.child must be a JSON object/],
      [{ commit: good.commit, inclusion: good.inclusion }, /^receipt is required/],
      [{ ...good, receipt: { ...good.receipt, status: 0 } }, /^receipt\.status must be 1/],
      [
        { ...good, receipt: { ...good.receipt, txHash: good.inclusion.txHash } },
        /^receipt\.txHash is not a field/,
      ],
      [{ ...good, receipt: { ...good.receipt, fee: '-1' } }, /^receipt\.fee must be a decimal/],
    ];
    for (const [json, message] of cases)
      assert.throws(
        () => parseTxProof(json),
        (err) => clientError('MALFORMED_PROOF')(err) && message.test((err as Error).message),
      );
    const longChain = { ...good, commit: { ...good.commit, chain: Array(64).fill(good.commit.header) } };
    assert.throws(() => parseTxProof(longChain), clientError('CHAIN_TOO_LONG'));

    const acct = accountProofToJson(accountProofOf(3, addressOf(SENDERS[0])));
    const acctCases: [unknown, RegExp][] = [
      [
        { ...acct, account: { ...acct.account, exists: false } },
        /has a balance or nonce but says the account does not exist/,
      ],
      [{ ...acct, account: { ...acct.account, proof: '0x02' } }, /account\.proof is not an account proof/],
      [
        {
          ...acct,
          account: { ...acct.account, address: acct.account.address.toLowerCase().replace('0x', '0X') },
        },
        /address/,
      ],
      [
        { ...acct, account: { ...acct.account, balance: (1n << 256n).toString() } },
        /balance must be at most/,
      ],
    ];
    for (const [json, message] of acctCases)
      assert.throws(
        () => parseAccountProof(json),
        (err) => clientError('MALFORMED_PROOF')(err) && message.test((err as Error).message),
      );
  });

  it('property: a byte, digit or number changed anywhere in a proof is refused with a ClientError', () => {
    const txJson = txProofToJson(txProofOf(5, 0));
    const acctJson = accountProofToJson(accountProofOf(4, addressOf(SENDERS[0])));
    // every leaf of the JSON but the inclusion's index and total, which the proof does not bind
    // (the header does not carry the transaction count: docs/FORMATS.md)
    const leaves = (value: unknown, path: (string | number)[] = []): (string | number)[][] =>
      typeof value === 'object' && value !== null
        ? Object.entries(value).flatMap(([k, v]) =>
            leaves(v, [...path, Array.isArray(value) ? Number(k) : k]),
          )
        : [path];
    const targets = [
      ...leaves(txJson)
        .filter((p) => !(p[0] === 'inclusion' && (p[1] === 'index' || p[1] === 'total')))
        .map((p) => ({ json: txJson, path: p, kind: 'tx' as const })),
      ...leaves(acctJson)
        .filter((p) => !(p[0] === 'account' && p[1] === 'exists'))
        .map((p) => ({ json: acctJson, path: p, kind: 'account' as const })),
    ];
    const hexDigits = '0123456789abcdef';
    const codes = new Set<string>();
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 15 }), (which, position, shift) => {
        const target = targets[which % targets.length];
        const json = structuredClone(target.json) as unknown as Record<string | number, unknown>;
        let parent = json;
        for (const k of target.path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
        const key = target.path[target.path.length - 1];
        const value = parent[key];
        if (typeof value === 'number') parent[key] = value + shift;
        else if (typeof value === 'string' && value.startsWith('0x')) {
          if (value.length === 2) parent[key] = '0x00';
          else {
            const at = 2 + (position % (value.length - 2));
            const digit = hexDigits[(hexDigits.indexOf(value[at].toLowerCase()) + shift) % 16];
            parent[key] = value.slice(0, at) + digit + value.slice(at + 1);
          }
        } else if (typeof value === 'string') {
          const at = position % value.length;
          parent[key] =
            value.slice(0, at) + String((Number(value[at]) + (shift % 9) + 1) % 10) + value.slice(at + 1);
        }
        assert.throws(
          () =>
            target.kind === 'tx'
              ? verifyCommittedTx(parseTxProof(json), BLOCKS[5].transfers[0].hash, VS, VERIFIER)
              : verifyCommittedAccount(parseAccountProof(json), addressOf(SENDERS[0]), VS, VERIFIER),
          (err) => err instanceof ClientError && codes.add(err.code) !== undefined,
          `changing ${target.path.join('.')} of the ${target.kind} proof (${String(value)} -> ${String(parent[key])}) went unnoticed`,
        );
      }),
      { seed: 1203, numRuns: 400 },
    );
    // the changes reach every layer: the JSON gate, the links, the certificates and both roots
    for (const code of [
      'MALFORMED_PROOF',
      'BROKEN_LINK',
      'BAD_SIGNATURE',
      'BAD_TX_PROOF',
      'BAD_RECEIPT_PROOF',
      'BAD_ACCOUNT_PROOF',
    ])
      assert.ok(codes.has(code), `no change was refused as ${code}: ${[...codes]}`);
  });

  it('is what a real proof holds: hex of the genesis-block hash chain', () => {
    assert.equal(txProofToJson(txProofOf(1, 0)).commit.header.parentHash, toHex(BLOCKS[0].id));
  });
});
