/**
 * The wallet against four real `ledger node` processes on 127.0.0.1 (issue 12): a new key
 * funded from a faucet, sends that wait for their commit and verify it, 50 sends in a row
 * from one account committing in nonce order, balances and history agreeing with them, a
 * pre-signed load, and nodes that lie (a proxy in front of an honest node forging a commit
 * proof, a balance, a QC with too few signers, a receipt) caught every time, with a node
 * list moving on to the honest node. Most calls use the wallet library in-process; a few
 * run the real command.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromHex } from '../../src/crypto/bytes.js';
import { addressOf, generateSecretKey, parseAddress, toChecksumAddress } from '../../src/crypto/keys.js';
import { writeKeystoreFile } from '../../src/crypto/keystore.js';
import {
  chainOf,
  createKeystore,
  type FinalTransfer,
  openKeystore,
  prepareLoad,
  runLoad,
  Wallet,
  WalletError,
} from '../../src/wallet/index.js';
import { type Forgery, type LyingNode, startLyingNode } from '../support/lying-node.js';
import {
  createTestNet,
  getJson,
  type NodeProcess,
  PASSPHRASE,
  ROOT,
  spawnValidators,
  type TestNet,
  tailOf,
  waitUntil,
} from './helpers.js';

const N = 4;
const UNIT = 10n ** 18n;
const SENDS_IN_A_ROW = 50;

interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ledger wallet ARGS` as a real process (node --import tsx src/cli/main.ts), bounded in time. */
function walletCommand(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'wallet', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wallet ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('wallet against four validators', { timeout: 240_000 }, () => {
  let net: TestNet;
  let nodes: NodeProcess[] = [];
  const liars: LyingNode[] = [];
  let faucetPath: string;
  let alicePath: string;
  let wallet: Wallet;
  /** Common options of the real command. */
  let common: string[];

  before(async () => {
    net = await createTestNet(N, 1);
    faucetPath = join(net.dir, 'faucet.json');
    await writeKeystoreFile(faucetPath, net.senders[0], PASSPHRASE, { scryptN: 16 });
    nodes = await spawnValidators(net);
    for (const node of nodes)
      await waitUntil(
        `node ${node.index} to serve status with 3 peers and height >= 1\n${tailOf(node)}`,
        async () => {
          if (node.child.exitCode !== null) throw new Error(`node ${node.index} exited\n${tailOf(node)}`);
          const { body } = await getJson(`${node.apiUrl}/api/v1/status`);
          return (body.peers ?? 0) >= N - 1 && (body.height ?? 0) >= 1 ? body : undefined;
        },
        60_000,
      );
    wallet = new Wallet([nodes[0].apiUrl], chainOf(net.genesis));
    common = ['--node', nodes[0].apiUrl, '--genesis', net.genesisPath];
  });

  after(async () => {
    await Promise.all(liars.map((l) => l.close()));
    for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exit));
    await rm(net.dir, { recursive: true, force: true });
  });

  it('new, faucet, send, wait and verify through the real command', async () => {
    alicePath = join(net.dir, 'alice.json');
    const env = { LEDGER_PASSPHRASE: PASSPHRASE, LEDGER_FAUCET_PASSPHRASE: PASSPHRASE };
    const alice = toChecksumAddress(await createKeystore(alicePath, PASSPHRASE, { scryptN: 16 }));

    const funded = await walletCommand(
      [...common, '--json', 'faucet', alice, '--value', '1000', '--faucet', faucetPath],
      env,
    );
    assert.equal(funded.code, 0, funded.stderr);
    const fund = JSON.parse(funded.stdout);
    assert.equal(fund.status, 'final');
    assert.equal(fund.to, alice);
    assert.equal(fund.value, (1000n * UNIT).toString());
    assert.ok(fund.commit.signers.length >= 3, JSON.stringify(fund.commit));

    const bob = toChecksumAddress(addressOf(generateSecretKey()));
    const sent = await walletCommand(
      [...common, '--keystore', alicePath, 'send', '--to', bob, '--value', '1.5', '--priority-fee', '2gwei'],
      env,
    );
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /status\s+final/);
    assert.match(sent.stdout, /final\s+at block \d+, certified by v\d, v\d, v\d/);
    assert.match(sent.stdout, /value\s+1\.5 BFT/);

    const b = await wallet.balance(parseAddress(bob));
    assert.equal(b.balance, (3n * UNIT) / 2n);
    assert.ok(b.commit.height >= fund.commit.height);
  });

  it(`commits ${SENDS_IN_A_ROW} sends in a row from one account in nonce order; balance and history agree`, async () => {
    const secret = await openKeystore(alicePath, PASSPHRASE);
    const carol = generateSecretKey();
    const carolAddress = addressOf(carol);
    const before = await wallet.nonce(addressOf(secret));
    const submitted = [];
    for (let i = 0; i < SENDS_IN_A_ROW; i++)
      submitted.push(await wallet.send(secret, { to: carolAddress, value: BigInt(i + 1) }, { wait: false }));
    assert.deepEqual(
      submitted.map((s) => s.signed.nonce),
      Array.from({ length: SENDS_IN_A_ROW }, (_, i) => before.pending + BigInt(i)),
      'nonces from the pending nonce, one after another without waiting',
    );
    const finals: FinalTransfer[] = [];
    for (const s of submitted) finals.push(await wallet.waitForCommit(s.signed, 60_000));
    for (let i = 1; i < finals.length; i++) {
      const [a, b] = [finals[i - 1], finals[i]];
      assert.ok(
        a.commit.height < b.commit.height || (a.commit.height === b.commit.height && a.index < b.index),
        `nonce ${i - 1} at ${a.commit.height}/${a.index}, nonce ${i} at ${b.commit.height}/${b.index}`,
      );
    }

    const total = BigInt((SENDS_IN_A_ROW * (SENDS_IN_A_ROW + 1)) / 2);
    const last = finals[finals.length - 1].commit.height;
    // the balance proven at (or above) the block of the last send
    const carolBalance = await waitUntil(
      'a verified balance at the height of the last send',
      async () => {
        const b = await wallet.balance(carolAddress);
        return b.commit.height >= last ? b : undefined;
      },
      10_000,
    );
    assert.equal(carolBalance.balance, total);
    assert.equal(carolBalance.nonce, 0n);
    const aliceNonce = await wallet.balance(addressOf(secret));
    assert.equal(aliceNonce.nonce, before.pending + BigInt(SENDS_IN_A_ROW));

    const listed = [];
    let cursor: string | undefined;
    do {
      const page = await wallet.history(carolAddress, { limit: 20, cursor });
      listed.push(...page.items);
      cursor = page.next ?? undefined;
    } while (cursor);
    assert.equal(listed.length, SENDS_IN_A_ROW);
    assert.deepEqual(new Set(listed.map((t) => t.hash)), new Set(finals.map((f) => f.hash)));
    assert.equal(
      listed.reduce((sum, t) => sum + t.value, 0n),
      total,
    );
    secret.fill(0);
  });

  it('catches every forgery of a lying node, and moves on to the honest node of a list', async () => {
    const honest = nodes[1].apiUrl;
    const target = net.senders[0];
    const someTx = (await wallet.history(addressOf(target), { limit: 1 })).items[0];
    const txHash = fromHex(someTx.hash, 32);
    const expected: Record<Forgery, string> = {
      commit: 'BROKEN_LINK',
      balance: 'BAD_ACCOUNT_PROOF',
      'weak-qc': 'INSUFFICIENT_POWER',
      receipt: 'BAD_RECEIPT_PROOF',
    };
    for (const forgery of Object.keys(expected) as Forgery[]) {
      const liar = await startLyingNode(honest, forgery, N);
      liars.push(liar);
      const alone = new Wallet([liar.url], chainOf(net.genesis), { retryPasses: 1 });
      const read = () => (forgery === 'receipt' ? alone.tx(txHash) : alone.balance(addressOf(target)));
      for (let attempt = 0; attempt < 3; attempt++)
        await assert.rejects(read(), (err) => {
          assert.ok(err instanceof WalletError && err.code === 'PROOF_INVALID', `${forgery}: ${String(err)}`);
          assert.deepEqual(
            err.details.lies?.map((l) => [l.node, l.code]),
            [[liar.url, expected[forgery]]],
          );
          return true;
        });
      const listed = new Wallet([liar.url, honest], chainOf(net.genesis));
      const answer =
        forgery === 'receipt' ? await listed.tx(txHash) : await listed.balance(addressOf(target));
      assert.equal(answer.node, honest);
      assert.deepEqual(
        answer.lies.map((l) => [l.node, l.code]),
        [[liar.url, expected[forgery]]],
      );
      assert.ok(liar.forged >= 4, `${forgery}: the proxy forged ${liar.forged} answers`);
    }
    // the balance liar's plain account route is forged too: the wallet never shows it as a balance
    const plain = await new Wallet([liars[1].url], chainOf(net.genesis)).nodes.current.account(
      addressOf(target),
    );
    const verified = await wallet.balance(addressOf(target));
    assert.notEqual(plain.balance, verified.balance);
  });

  it('runs a pre-signed load and sees it all commit', async () => {
    const load = await prepareLoad(wallet, net.senders[0], {
      count: 120,
      ratePerSecond: 60,
      senders: 4,
      valueWei: 1n,
      settleTimeoutMs: 30_000,
    });
    assert.equal(load.transfers.length, 120);
    const report = await runLoad(wallet, load);
    assert.deepEqual(report.rejected, {});
    assert.equal(report.submitted, 120);
    assert.equal(report.committed, 120, JSON.stringify(report));
    assert.ok(report.latencyMs.p50 !== null && report.latencyMs.p99 !== null);
    assert.ok((report.latencyMs.p50 ?? 0) <= (report.latencyMs.p99 ?? 0));
  });
});
