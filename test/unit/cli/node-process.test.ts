/**
 * Issue 10, items 10b and 12, process level: a running node holds its data directory
 * against a second process; an error thrown in a timer or a promise that nothing
 * catches must stop the node in order (stores flushed and closed, data directory unlocked)
 * and exit non-zero, not kill it mid-write; the passphrase is not kept once the key is
 * decrypted (dropped from the node's options and from the environment) and may come from
 * standard input.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { stopOnUncaughtErrors } from '../../../src/cli/commands/node.js';
import type { CliIo } from '../../../src/cli/io.js';
import { resolvePassphrase } from '../../../src/cli/passphrase.js';
import { LedgerNode, NodeError, silentLogger } from '../../../src/node/index.js';
import { createTestNet, PASSPHRASE, ROOT, type TestNet } from '../../e2e/helpers.js';

/** Loaded into the node process: on SIGUSR2, report the environment, then reject a promise nobody awaits. */
const PRELOAD = `
process.on('SIGUSR2', () => {
  process.stdout.write('passphrase-env:' + (process.env.LEDGER_PASSPHRASE === undefined ? 'gone' : 'present') + '\\n');
  setTimeout(() => { Promise.reject(new Error('boom in a timer')); }, 0);
});
`;

describe('ledger node at the process level', () => {
  let net: TestNet;
  before(async () => {
    net = await createTestNet(1, 0);
  });
  after(() => rm(net.dir, { recursive: true, force: true }));

  it('an unhandled rejection stops the node in order and exits 1; the passphrase left the environment', async () => {
    const preload = join(net.dir, 'preload.mjs');
    await writeFile(preload, PRELOAD);
    const dataDir = join(net.dir, 'crash');
    const child = spawn(
      process.execPath,
      [
        '--import',
        pathToFileURL(preload).href,
        join(ROOT, 'bin/ledger.js'),
        'node',
        '--genesis',
        net.genesisPath,
        '--key',
        net.keyPaths[0],
        '--data',
        dataDir,
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--api-port',
        '0',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, LEDGER_PASSPHRASE: PASSPHRASE },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    const seen = (text: string, what: string, timeoutMs: number) =>
      new Promise<void>((ok, fail) => {
        const check = () => {
          if (!output.includes(text)) return;
          clearTimeout(timer);
          child.stdout.off('data', check);
          ok();
        };
        const timer = setTimeout(
          () => fail(new Error(`no ${what} within ${timeoutMs} ms:\n${output}`)),
          timeoutMs,
        );
        child.stdout.on('data', check);
        check();
      });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    try {
      await seen('"node started"', 'start', 20_000);
      const lock = JSON.parse(await readFile(join(dataDir, 'LOCK'), 'utf8')) as { pid: number };
      assert.equal(lock.pid, child.pid, 'the running node holds the data directory');
      await assert.rejects(
        LedgerNode.init({
          genesisPath: net.genesisPath,
          keyPath: net.keyPaths[0],
          passphrase: PASSPHRASE,
          dataDir,
          listen: [],
          bootstrap: [],
          apiPort: 0,
          apiHost: '127.0.0.1',
          logger: silentLogger,
        }),
        (e: unknown) => e instanceof NodeError && e.code === 'DATA_DIR_LOCKED',
        'a second process is refused the data directory',
      );
      child.kill('SIGUSR2');
      const code = await Promise.race([
        exited,
        new Promise<never>((_, fail) =>
          setTimeout(() => fail(new Error(`no exit within 15 s:\n${output}`)), 15_000).unref(),
        ),
      ]);
      assert.equal(code, 1, output);
      assert.match(output, /passphrase-env:gone/);
      assert.match(output, /"uncaught error, stopping"/);
      assert.match(output, /"msg":"stopped"/, 'the orderly shutdown ran to its end');
      assert.match(output, /error UNCAUGHT_ERROR: unhandledRejection: boom in a timer/);
      await assert.rejects(access(join(dataDir, 'LOCK')), 'the lock was released');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('both kinds of uncaught error reach the node as UNCAUGHT_ERROR', async () => {
    for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
      const node = await LedgerNode.init({
        genesisPath: net.genesisPath,
        keyPath: net.keyPaths[0],
        passphrase: PASSPHRASE,
        dataDir: join(net.dir, `inproc-${event}`),
        listen: [],
        bootstrap: [],
        apiPort: 0,
        apiHost: '127.0.0.1',
        logger: silentLogger,
      });
      assert.equal(
        JSON.stringify((node as unknown as { options: object }).options).includes(PASSPHRASE),
        false,
        'the node does not keep the passphrase',
      );
      const source = new EventEmitter();
      const logged: string[] = [];
      const uninstall = stopOnUncaughtErrors(
        node,
        { fatal: (_, message) => logged.push(message) },
        source,
        undefined,
      );
      source.emit(event, new Error('boom'));
      const failure = await node.done;
      uninstall();
      assert.ok(failure instanceof NodeError && failure.code === 'UNCAUGHT_ERROR', String(failure));
      assert.equal(failure.message, `${event}: boom`);
      assert.deepEqual(logged, ['uncaught error, stopping']);
      assert.equal(source.listenerCount(event), 0, 'uninstalled');
    }
  });

  it('--passphrase-file - reads standard input, bounded', async () => {
    const io = (input: string | Uint8Array): CliIo => ({
      stdout: () => {},
      stderr: () => {},
      env: {},
      cwd: net.dir,
      stdin: () => Readable.from([Buffer.from(input)]),
    });
    assert.equal(
      await resolvePassphrase({ passphraseFile: '-' }, io('secret words\n'), 'open'),
      'secret words',
    );
    await assert.rejects(
      resolvePassphrase({ passphraseFile: '-' }, io(new Uint8Array(100_000)), 'open'),
      /PASSPHRASE_FILE|more than/,
    );
  });
});
