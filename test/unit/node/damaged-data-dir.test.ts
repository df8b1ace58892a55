/**
 * Issue 15 section 4: a data directory that is cut short, garbage or inconsistent is refused
 * by the real `ledger node` command (in-process) with its error code and exit 4, and nothing
 * in it is changed: never silently reset, never a crash inside lmdb (a cut or garbage
 * data.mdb killed the process with SIGBUS or SIGSEGV before it was checked).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { open } from 'lmdb';
import { EXIT_DATA_DIR_UNUSABLE } from '../../../src/cli/errors.js';
import { LedgerNode, silentLogger } from '../../../src/node/index.js';
import { createTestNet, PASSPHRASE, type TestNet } from '../../e2e/helpers.js';
import { run } from '../cli/run-cli.js';

describe('ledger node: a damaged data directory is refused, exit 4, nothing changed', () => {
  let net: TestNet;
  /** A data directory the node created and ran once: chain, safety and journal stores. */
  let good: string;
  let copies = 0;

  const ledgerNode = (dataDir: string) =>
    run(
      [
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
        '--log-level',
        'silent',
      ],
      process.cwd(),
      { LEDGER_PASSPHRASE: PASSPHRASE },
    );

  /** A copy of the good directory, damaged by `damage`; checks the refusal and that the file is untouched. */
  async function refused(
    damage: (dir: string) => Promise<string>,
    code: string,
    message: RegExp,
  ): Promise<void> {
    const dir = join(net.dir, `copy-${copies++}`);
    await cp(good, dir, { recursive: true });
    const damaged = await damage(dir);
    const before = await digest(damaged);
    const r = await ledgerNode(dir);
    assert.equal(r.code, EXIT_DATA_DIR_UNUSABLE, r.stderr);
    assert.match(r.stderr, new RegExp(`^error ${code}: `));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(await digest(damaged), before, `${damaged} was changed`);
  }

  const digest = async (file: string) =>
    createHash('sha256')
      .update(await readFile(file))
      .digest('hex');

  /** Rewrites records of the lmdb environment at `path` (named database or the root one). */
  async function rewrite(path: string, name: string | undefined, edit: (db: EditDb) => void): Promise<void> {
    const env = open({ path, maxDbs: 16, keyEncoding: 'binary', encoding: 'binary' });
    const db = (name === undefined
      ? env
      : env.openDB(name, { keyEncoding: 'binary', encoding: 'binary' })) as unknown as EditDb;
    await env.transaction(() => edit(db));
    await env.close();
  }
  type EditDb = { put(k: Buffer, v: Buffer): void; remove(k: Buffer): void };

  before(async () => {
    net = await createTestNet(1, 0);
    good = join(net.dir, 'good');
    const node = await LedgerNode.init({
      genesisPath: net.genesisPath,
      keyPath: net.keyPaths[0],
      passphrase: PASSPHRASE,
      dataDir: good,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      apiPort: 0,
      apiHost: '127.0.0.1',
      logger: silentLogger,
    });
    await node.start(); // opens (creates) the transaction journal too
    await node.stop();
  });
  after(() => rm(net.dir, { recursive: true, force: true }));

  it('a chain data.mdb cut short, cut inside its meta pages, emptied or overwritten with garbage', async () => {
    const file = (dir: string) => join(dir, 'chain', 'data.mdb');
    await refused(
      async (dir) => {
        await truncate(file(dir), 2 * 4096);
        return file(dir);
      },
      'CORRUPT_STORE',
      /data\.mdb is cut short/,
    );
    await refused(
      async (dir) => {
        await truncate(file(dir), 100);
        return file(dir);
      },
      'CORRUPT_STORE',
      /ends inside its meta pages/,
    );
    await refused(
      async (dir) => {
        await truncate(file(dir), 0);
        return file(dir);
      },
      'CORRUPT_STORE',
      /data\.mdb is empty/,
    );
    await refused(
      async (dir) => {
        await writeFile(file(dir), randomBytes((await stat(file(dir))).size));
        return file(dir);
      },
      'CORRUPT_STORE',
      /is not an lmdb meta page/,
    );
  });

  it('a chain store without its genesis record, with a head naming a missing block, or of another format', async () => {
    const chain = (dir: string) => join(dir, 'chain');
    await refused(
      async (dir) => {
        await rewrite(chain(dir), 'meta', (db) => db.remove(Buffer.from('genesisHash')));
        return join(chain(dir), 'data.mdb');
      },
      'CORRUPT_STORE',
      /holds chain records but no genesis record/,
    );
    await refused(
      async (dir) => {
        const head = Buffer.alloc(40, 7);
        head.writeBigUInt64BE(5n, 0);
        await rewrite(chain(dir), 'meta', (db) => db.put(Buffer.from('head'), head));
        return join(chain(dir), 'data.mdb');
      },
      'CORRUPT_STORE',
      /its head names block 5, which is missing/,
    );
    await refused(
      async (dir) => {
        await rewrite(chain(dir), 'meta', (db) => db.put(Buffer.from('format'), Buffer.from([0, 0, 0, 3])));
        return join(chain(dir), 'data.mdb');
      },
      'UNSUPPORTED_FORMAT',
      /holds store format 3/,
    );
  });

  it('garbage safety data: its data file or its safety record', async () => {
    await refused(
      async (dir) => {
        const file = join(dir, 'safety', 'data.mdb');
        await writeFile(file, randomBytes((await stat(file)).size));
        return file;
      },
      'CORRUPT_STORE',
      /safety data at .* is damaged .*--reset-safety-data/,
    );
    await refused(
      async (dir) => {
        await rewrite(join(dir, 'safety'), undefined, (db) => db.put(Buffer.from('safety'), randomBytes(64)));
        return join(dir, 'safety', 'data.mdb');
      },
      'CORRUPT_STORE',
      /its safety record does not decode/,
    );
  });

  it('a damaged transaction journal: a cut data file, or a record that is not a sequence number', async () => {
    await refused(
      async (dir) => {
        const file = join(dir, 'txjournal', 'data.mdb');
        await truncate(file, 100);
        return file;
      },
      'CORRUPT_STORE',
      /transaction journal at .* is damaged/,
    );
    await refused(
      async (dir) => {
        await rewrite(join(dir, 'txjournal'), undefined, (db) =>
          db.put(Buffer.from('torn'), Buffer.from('x')),
        );
        return join(dir, 'txjournal', 'data.mdb');
      },
      'CORRUPT_STORE',
      /a key that is not a sequence number/,
    );
  });
});
