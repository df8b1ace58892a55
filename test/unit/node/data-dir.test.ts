/**
 * Adversary (issue 10, item 10 b, c): the data directory is the validator's memory of what
 * it signed. Two processes on one data directory, or a validator whose safety store is
 * gone next to its chain store, could each sign a second vote for a round already voted.
 * LedgerNode.init takes an exclusive lock on the directory (a stale lock of a killed
 * process is replaced) and refuses a missing safety store unless the operator resets it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSecretKey, publicKeyOf } from '../../../src/crypto/keys.js';
import { writeKeystoreFile } from '../../../src/crypto/keystore.js';
import { createGenesis, peerIdOfPublicKey } from '../../../src/genesis/index.js';
import { LedgerNode, NodeError, type NodeOptions, silentLogger } from '../../../src/node/index.js';
import { createTestNet, PASSPHRASE, type TestNet } from '../../e2e/helpers.js';

const refusedWith = (code: string) => (e: unknown) => {
  assert.ok(e instanceof NodeError, `expected a NodeError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

describe('data directory: one process, and the safety data with the chain', () => {
  let net: TestNet;
  const options = (dataDir: string, extra: Partial<NodeOptions> = {}): NodeOptions => ({
    genesisPath: net.genesisPath,
    keyPath: net.keyPaths[0],
    passphrase: PASSPHRASE,
    dataDir: join(net.dir, dataDir),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    apiPort: 0,
    apiHost: '127.0.0.1',
    logger: silentLogger,
    ...extra,
  });

  before(async () => {
    net = await createTestNet(1, 0);
  });
  after(() => rm(net.dir, { recursive: true, force: true }));

  it('a second init of the same data directory in one process is refused until the first stops', async () => {
    const first = await LedgerNode.init(options('same'));
    await assert.rejects(LedgerNode.init(options('same')), refusedWith('DATA_DIR_LOCKED'));
    // the same directory by another name
    await symlink(join(net.dir, 'same'), join(net.dir, 'same-link'));
    await assert.rejects(LedgerNode.init(options('same-link')), refusedWith('DATA_DIR_LOCKED'));
    await first.stop();
    const again = await LedgerNode.init(options('same'));
    await again.stop();
  });

  it('a lock left by a dead process, a reused pid or a torn write does not block a start', async () => {
    const first = await LedgerNode.init(options('stale'));
    await first.stop();
    const lockPath = join(net.dir, 'stale', 'LOCK');
    // as after kill -9: the pid of a process that has exited
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((ok) => dead.once('exit', ok));
    const host = hostname();
    await writeFile(lockPath, JSON.stringify({ pid: dead.pid, host }));
    await (await LedgerNode.init(options('stale'))).stop();
    // a live pid that is another process than the one that wrote the lock (another start time)
    await writeFile(lockPath, JSON.stringify({ pid: process.ppid, startTicks: 1, host }));
    await (await LedgerNode.init(options('stale'))).stop();
    // a torn write (an older version created the file before writing it)
    await writeFile(lockPath, '');
    await (await LedgerNode.init(options('stale'))).stop();
    // a dead pid, but on another host (a container sharing the volume): it cannot be judged here
    await writeFile(lockPath, JSON.stringify({ pid: dead.pid, host: `${host}-elsewhere` }));
    await assert.rejects(LedgerNode.init(options('stale')), refusedWith('DATA_DIR_LOCKED'));
    // a live process that wrote it (ours, in another test's shoes: the parent, without start time)
    await writeFile(lockPath, JSON.stringify({ pid: process.ppid, host }));
    await assert.rejects(LedgerNode.init(options('stale')), refusedWith('DATA_DIR_LOCKED'));
  });

  it('a validator whose safety store is missing next to its chain store is refused unless reset', async () => {
    const first = await LedgerNode.init(options('lost'));
    await first.stop();
    await rm(join(net.dir, 'lost', 'safety'), { recursive: true });
    await assert.rejects(LedgerNode.init(options('lost')), refusedWith('SAFETY_DATA_MISSING'));
    // the refusal leaves nothing behind that would let the next attempt through
    await assert.rejects(LedgerNode.init(options('lost')), refusedWith('SAFETY_DATA_MISSING'));
    const reset = await LedgerNode.init(options('lost', { resetSafetyData: true }));
    await reset.stop();
    const after = await LedgerNode.init(options('lost'));
    await after.stop();
  });

  it('an observer has no safety data to lose: a missing safety store is recreated', async () => {
    const secret = generateSecretKey();
    const { json } = createGenesis({
      validators: 1,
      chainId: 9n,
      observers: [{ name: 'obs', peerId: peerIdOfPublicKey(publicKeyOf(secret, true)) }],
    });
    const genesisPath = join(net.dir, 'observer-genesis.json');
    await writeFile(genesisPath, JSON.stringify(json));
    const keyPath = join(net.dir, 'observer.json');
    await writeKeystoreFile(keyPath, secret, PASSPHRASE, { scryptN: 16 });
    const observer = { genesisPath, keyPath };
    const first = await LedgerNode.init(options('obs', observer));
    await first.stop();
    await rm(join(net.dir, 'obs', 'safety'), { recursive: true });
    const second = await LedgerNode.init(options('obs', observer));
    await second.stop();
  });
});
