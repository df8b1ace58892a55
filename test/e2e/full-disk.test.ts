/**
 * Issue 15 section 4: a real `ledger node` whose disk fills stops with DISK_FULL and exit 3
 * (one error line naming the directory, no stack trace), every transaction it answered 202
 * survives, and once space is back it starts again on the same chain and keeps committing.
 *
 * The disk is a 48 MiB tmpfs mounted in a private mount namespace (unshare; as root, or as a
 * user where unprivileged user namespaces are allowed): nothing outside this test sees it,
 * and it vanishes with the namespace. /dev/shm is no substitute on these machines: it is a
 * tmpfs of half the RAM (24 GB here), and filling it would take the machine's memory with it.
 * The test's own process reaches the mounted files through /proc/<holder>/root.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addressOf } from '../../src/crypto/keys.js';
import { signTransfer } from '../../src/tx/index.js';
import {
  type ApiBody,
  createTestNet,
  freePorts,
  getJson,
  PASSPHRASE,
  postJson,
  ROOT,
  type TestNet,
  waitUntil,
} from './helpers.js';

const DISK_BYTES = 48 * 1024 * 1024;
const asRoot = process.getuid?.() === 0;

interface Proc {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(command: string, args: string[]): Proc {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, LEDGER_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (c: Buffer) => stdout.push(c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once('exit', (code, signal) => ok({ code, signal })),
  );
  return { child, stdout, stderr, exit };
}

const tail = (p: Proc) => `${p.stdout.join('').split('\n').slice(-12).join('\n')}\n${p.stderr.join('')}`;

/** waitUntil, with `proc`'s output as it is when the wait fails (not when it began) in the error. */
async function waitWithOutput<T>(
  what: string,
  proc: Proc,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs?: number,
): Promise<T> {
  try {
    return await waitUntil(what, probe, timeoutMs, intervalMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${tail(proc)}`, { cause: err });
  }
}

/** A process holding a mount namespace in which `dir` is a small tmpfs. */
async function mountSmallDisk(dir: string): Promise<{ holder: Proc; inside: (path: string) => string }> {
  const script = `mount -t tmpfs -o size=${DISK_BYTES} tmpfs "$0" && echo mounted && exec sleep 600`;
  const holder = launch('unshare', [
    ...(asRoot ? [] : ['--map-root-user']),
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    script,
    dir,
  ]);
  await waitUntil(
    `a private tmpfs at ${dir}: this test needs unshare(1) (util-linux) and root, or unprivileged user namespaces; got: ${holder.stderr.join('')}`,
    async () => {
      if (holder.child.exitCode !== null) throw new Error(holder.stderr.join('') || 'unshare exited');
      return holder.stdout.join('').includes('mounted') ? true : undefined;
    },
    10_000,
    20,
  );
  return { holder, inside: (path) => `/proc/${holder.child.pid}/root${path}` };
}

describe('a full disk stops the node with exit 3; it restarts once space is back', {
  timeout: 90_000,
}, () => {
  let net: TestNet | undefined;
  let holder: Proc | undefined;
  let node: Proc | undefined;
  after(async () => {
    if (node && node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
    if (node) await node.exit;
    if (holder && holder.child.exitCode === null) holder.child.kill('SIGKILL');
    if (holder) await holder.exit;
    if (net) await rm(net.dir, { recursive: true, force: true });
  });

  it('stops with DISK_FULL and exit 3, loses no 202, restarts on the same chain and commits them', async () => {
    net = await createTestNet(1, 4);
    const disk = join(net.dir, 'disk');
    await mkdir(disk);
    const mounted = await mountSmallDisk(disk);
    holder = mounted.holder;
    const dataDir = join(disk, 'data');
    const [p2pPort, apiPort] = await freePorts(2);
    const api = `http://127.0.0.1:${apiPort}`;
    const nodeArgs = [
      'node',
      '--genesis',
      net.genesisPath,
      '--key',
      net.keyPaths[0],
      '--data',
      dataDir,
      '--listen',
      `/ip4/127.0.0.1/tcp/${p2pPort}`,
      '--api-port',
      String(apiPort),
    ];
    // the node runs inside the holder's mount namespace, where the data directory is the tmpfs
    const startNode = () =>
      launch('nsenter', [
        '--target',
        String(holder!.child.pid),
        '--mount',
        ...(asRoot ? [] : ['--user', '--preserve-credentials']),
        '--',
        process.execPath,
        join(ROOT, 'bin/ledger.js'),
        ...nodeArgs,
      ]);
    const height = async () => (await getJson(`${api}/api/v1/status`)).body.height ?? 0;
    node = startNode();
    const first = node;
    await waitWithOutput(
      'the node to commit',
      first,
      async () => ((await height()) >= 2 ? true : undefined),
      30_000,
    );
    const genesisBefore = (await getJson<ApiBody & { hash?: string }>(`${api}/api/v1/blocks/0`)).body.hash;
    assert.ok(genesisBefore, 'block 0 has a hash');

    const senders = net.senders;
    const nonces = senders.map(() => 0n);
    const accepted: string[] = [];
    let refused = 0;
    /** One transfer from each sender; records 202s, checks that anything else is an error answer. */
    const submitRound = async () => {
      await Promise.all(
        senders.map(async (secret, i) => {
          const tx = signTransfer(
            {
              chainId: net!.genesis.chainId,
              nonce: nonces[i],
              maxPriorityFeePerGas: 1n,
              maxFeePerGas: 2n * net!.genesis.params.baseFeePerGas + 1n,
              gasLimit: 21_000n,
              to: addressOf(senders[(i + 1) % senders.length]),
              value: 1n,
            },
            secret,
          );
          let answer: { status: number; body: ApiBody };
          try {
            answer = await postJson(`${api}/api/v1/txs`, `0x${Buffer.from(tx.raw).toString('hex')}`);
          } catch {
            return; // the node has stopped listening: no answer, nothing promised
          }
          if (answer.status === 202) {
            accepted.push(answer.body.hash!);
            nonces[i]++;
          } else {
            refused++;
            assert.ok(answer.status >= 400, `a non-202 answer is an error: ${answer.status}`);
            assert.equal(typeof (answer.body as { error?: unknown }).error, 'string');
          }
        }),
      );
    };
    for (let i = 0; i < 5; i++) await submitRound();
    assert.ok(accepted.length >= 10, `transactions accepted before the disk fills: ${accepted.length}`);

    // fill the disk: what is left of it goes to a filler file, until the file system says ENOSPC
    const fillerPath = mounted.inside(join(disk, 'filler'));
    const filler = await open(fillerPath, 'w');
    for (let chunk = 1024 * 1024; chunk >= 512; ) {
      try {
        await filler.write(Buffer.alloc(chunk));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        chunk /= 2;
      }
    }
    await filler.close();
    const heightAtFull = await height().catch(() => 0);

    // the node keeps taking transactions and committing until a write fails, then stops
    const stopped = await waitWithOutput(
      'the node to stop on the full disk',
      first,
      async () => {
        if (first.child.exitCode !== null || first.child.signalCode !== null) return first.exit;
        await submitRound();
        return undefined;
      },
      30_000,
      50,
    );
    assert.deepEqual(stopped, { code: 3, signal: null }, tail(first));
    const stderr = first.stderr.join('');
    // lmdb's own C code may print `Write error: ...` first, without a line break
    assert.match(stderr, new RegExp(`error DISK_FULL: the disk is full: .* in ${dataDir}/`), stderr);
    assert.equal(
      stderr
        .replace(/Write error: [^\n]*?size \d+/g, '')
        .split('\n')
        .filter(Boolean).length,
      1,
      stderr,
    );
    assert.doesNotMatch(`${stderr}${first.stdout.join('')}`, /\n\s+at /, 'no stack trace on the terminal');
    const fatal = first.stdout
      .join('')
      .split('\n')
      .filter((line) => line.includes('stopping after a fatal error'));
    assert.equal(fatal.length, 1, tail(first));
    assert.match(fatal[0], /the disk is full/);

    await rm(fillerPath);
    node = startNode();
    const second = node;
    await waitWithOutput(
      `the restarted node to commit past height ${heightAtFull + 2}`,
      second,
      async () => ((await height()) > heightAtFull + 2 ? true : undefined),
      30_000,
    );
    const genesisAfter = (await getJson<ApiBody & { hash?: string }>(`${api}/api/v1/blocks/0`)).body.hash;
    assert.equal(genesisAfter, genesisBefore, 'the same chain');
    const status = async (hash: string) => (await getJson(`${api}/api/v1/txs/${hash}`)).body.status;
    await waitWithOutput(
      `every transaction answered 202 (${accepted.length}; ${refused} refused) to be committed`,
      second,
      async () => {
        for (const hash of accepted) if ((await status(hash)) !== 'committed') return undefined;
        return true;
      },
      20_000,
      200,
    );
    second.child.kill('SIGTERM');
    assert.deepEqual(await second.exit, { code: 0, signal: null }, tail(second));
  });
});
