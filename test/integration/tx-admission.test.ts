/**
 * Issue 10: the API's admission path on a real node in process.
 * - Item 11: a large POST is decoded and recovered in slices that yield to the event loop,
 *   so consensus waits at most one slice behind it.
 * - A 202 survives the accepting node: admitted API transactions are journaled before the
 *   answer (one write and flush per batch of concurrent submissions), re-admitted on the
 *   next start and pruned once committed or dropped. kill -9 of a real process is in
 *   test/e2e/durable-accept.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../src/crypto/bytes.js';
import { addressOf, generateSecretKey } from '../../src/crypto/keys.js';
import { LedgerNode, type NodeOptions, silentLogger, TxJournal } from '../../src/node/index.js';
import { signTransfer } from '../../src/tx/index.js';
import { createTestNet, PASSPHRASE, type TestNet, waitUntil } from '../e2e/helpers.js';

const SLICE_TXS = 32;

function transferRaw(net: TestNet, sender: number, nonce: bigint): Uint8Array {
  const baseFee = net.genesis.params.baseFeePerGas;
  return signTransfer(
    {
      chainId: net.genesis.chainId,
      nonce,
      maxPriorityFeePerGas: 1n,
      maxFeePerGas: 2n * baseFee + 1n,
      gasLimit: 21_000n,
      to: addressOf(net.senders[(sender + 1) % net.senders.length]),
      value: 1n,
    },
    net.senders[sender],
  ).raw;
}

describe('TxJournal', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tx-journal-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const tx = (i: number) => ({ key: `0x${i.toString(16).padStart(64, '0')}`, raw: Uint8Array.of(2, i) });

  it('concurrent appends share one write and flush; a reopened journal replays them in order and drops the refused', async () => {
    const path = join(dir, 'group');
    const journal = await TxJournal.open(path);
    // 40 submissions in one turn: the first write takes the first, the next all the others
    await Promise.all(Array.from({ length: 40 }, (_, i) => journal.append([tx(i)])));
    assert.ok(journal.writes <= 2, `${journal.writes} writes for 40 concurrent appends`);
    await journal.append([tx(3)]); // already journaled: nothing to write
    assert.equal(journal.size, 40);
    await journal.close();
    await assert.rejects(journal.append([tx(99)]), /closed/);

    const reopened = await TxJournal.open(path);
    const seen: number[] = [];
    const kept = await reopened.replay((raw) => {
      seen.push(raw[1]);
      return raw[1] % 2 === 0 ? tx(raw[1]).key : undefined; // odd ones are refused
    });
    assert.deepEqual(
      seen,
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.equal(kept, 20);
    await reopened.close();

    const third = await TxJournal.open(path);
    const left: number[] = [];
    await third.replay((raw) => {
      left.push(raw[1]);
      return tx(raw[1]).key;
    });
    assert.deepEqual(
      left,
      Array.from({ length: 20 }, (_, i) => 2 * i),
    );
    // appends continue after the replayed sequence numbers: order survives another reopen
    await third.append([tx(100)]);
    assert.equal(
      third.prune((key) => key === tx(100).key || key === tx(0).key),
      19,
    );
    await third.close();
    const fourth = await TxJournal.open(path);
    const last: number[] = [];
    await fourth.replay((raw) => {
      last.push(raw[1]);
      return tx(raw[1]).key;
    });
    assert.deepEqual(last, [0, 100]);
    await fourth.close();
  });
});

describe('API admission on a one-validator node in process', { timeout: 60_000 }, () => {
  let net: TestNet;
  let node: LedgerNode | undefined;
  const unfunded = generateSecretKey();
  const options = (): NodeOptions => ({
    genesisPath: net.genesisPath,
    keyPath: net.keyPaths[0],
    passphrase: PASSPHRASE,
    dataDir: join(net.dir, 'data'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    apiPort: 0,
    apiHost: '127.0.0.1',
    logger: silentLogger,
    emptyBlockDelayMs: 5,
    txJournalPruneMs: 20,
    submitSliceTxs: SLICE_TXS,
  });

  before(async () => {
    net = await createTestNet(1, 2, { baseRoundTimeoutMs: 300 });
    node = await LedgerNode.init(options());
    await node.start();
  });
  after(async () => {
    await node?.stop();
    await rm(net.dir, { recursive: true, force: true });
  });

  it('a batch of 1,000 transactions yields to the event loop between slices (item 11)', async (t) => {
    // Unfunded senders: each tx costs its decode and signature recovery, then is refused
    // (INSUFFICIENT_FUNDS), so no block execution of the batch mixes into the figures.
    const raws = Array.from(
      { length: 1000 },
      (_, i) =>
        signTransfer(
          {
            chainId: net.genesis.chainId,
            nonce: 0n,
            maxPriorityFeePerGas: 1n,
            maxFeePerGas: 2n * net.genesis.params.baseFeePerGas,
            gasLimit: 21_000n,
            to: addressOf(net.senders[0]),
            value: BigInt(i + 1),
          },
          unfunded,
        ).raw,
    );
    let turns = 0;
    let maxGapMs = 0;
    let last = performance.now();
    let probing = true;
    const probe = () => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
      turns++;
      if (probing) setImmediate(probe);
    };
    setImmediate(probe);
    const started = performance.now();
    const outcomes = await node!.api().submitTransactions(raws);
    const totalMs = performance.now() - started;
    probing = false;
    const figures = `${turns} event-loop turns during ${totalMs.toFixed(0)} ms, longest gap ${maxGapMs.toFixed(1)} ms`;
    t.diagnostic(figures);
    assert.deepEqual(
      new Set(outcomes.map((o) => ('error' in o ? o.error : 'admitted'))),
      new Set(['INSUFFICIENT_FUNDS']),
    );
    // the loop runs between any two slices, and no gap holds much of the batch
    assert.ok(turns >= Math.ceil(raws.length / SLICE_TXS) - 1, `the batch held the loop: ${figures}`);
    assert.ok(maxGapMs < totalMs / 4, `one gap took most of the batch: ${figures}`);
  });

  it('journals admitted transactions before answering, re-admits them after a restart and prunes the committed', async () => {
    const sender = 1;
    const gapped = transferRaw(net, sender, 1n); // waits for nonce 0: never commits on its own
    const executable = transferRaw(net, 0, 0n);
    const outcomes = await node!.api().submitTransactions([gapped, executable]);
    assert.deepEqual(
      outcomes.map((o) => ('error' in o ? o.error : (o.queued ?? false))),
      [true, false],
    );
    const [gappedHash, executableHash] = outcomes.map((o) => o.hash!);
    const hashBytes = (hex: string) => Buffer.from(hex.slice(2), 'hex');
    await waitUntil(
      'the executable one to commit',
      async () =>
        node!.transactionStatus(hashBytes(executableHash)).status === 'committed' ? true : undefined,
      10_000,
      20,
    );
    await node!.stop();
    node = undefined;

    // the journal holds the gapped one only: the committed one was pruned
    const journal = await TxJournal.open(join(net.dir, 'data', 'txjournal'));
    const held: string[] = [];
    await journal.replay((raw) => {
      held.push(toHex(raw));
      return toHex(raw);
    });
    await journal.close();
    assert.deepEqual(held, [toHex(gapped)]);

    // a fresh node re-admits it from the journal; nonce 0 then lets both commit
    node = await LedgerNode.init(options());
    await node.start();
    assert.deepEqual(node.transactionStatus(hashBytes(gappedHash)), {
      hash: gappedHash,
      status: 'pending',
      queued: true,
    });
    const [first] = await node.api().submitTransactions([transferRaw(net, sender, 0n)]);
    assert.ok(!('error' in first), JSON.stringify(first));
    await waitUntil(
      'the re-admitted transaction to commit',
      async () => (node!.transactionStatus(hashBytes(gappedHash)).status === 'committed' ? true : undefined),
      10_000,
      20,
    );
  });
});
