/**
 * Issue 10, item 12: operators set a genesis time in the future to start together. Before
 * it, every block a leader builds would be older than the genesis block and fail the clock
 * check, so the chain would never start. The node waits for genesis time before starting
 * consensus, says so in its status, and then commits. In-process, one validator.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeKeystoreFile } from '../../../src/crypto/keystore.js';
import { createGenesis } from '../../../src/genesis/index.js';
import { LedgerNode, silentLogger } from '../../../src/node/index.js';
import { waitUntil } from '../../e2e/helpers.js';

const PASSPHRASE = 'genesis-wait';
const DELAY_MS = 2_500;

describe('a genesis time in the future', () => {
  it('the node waits for it, shows it in the status, then commits blocks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'genesis-wait-'));
    const genesisTimeMs = Date.now() + DELAY_MS;
    const { json, secrets } = createGenesis({
      validators: 1,
      chainId: 77n,
      genesisTimeMs,
      params: { baseRoundTimeoutMs: 400 },
    });
    const genesisPath = join(dir, 'genesis.json');
    await writeFile(genesisPath, JSON.stringify(json));
    const keyPath = join(dir, 'validator-0.json');
    await writeKeystoreFile(keyPath, secrets[0], PASSPHRASE, { scryptN: 16 });
    const node = await LedgerNode.init({
      genesisPath,
      keyPath,
      passphrase: PASSPHRASE,
      dataDir: join(dir, 'data'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      apiPort: 0,
      apiHost: '127.0.0.1',
      logger: silentLogger,
    });
    try {
      await node.start();
      const status = (await (await fetch(`http://127.0.0.1:${node.apiPort}/api/v1/status`)).json()) as {
        waitingForGenesis?: boolean;
        startsAtMs?: number;
        height: number;
      };
      if (Date.now() < genesisTimeMs) {
        assert.equal(status.waitingForGenesis, true, 'the status says it waits');
        assert.equal(status.startsAtMs, genesisTimeMs);
        assert.equal(status.height, 0);
      }
      const height = await waitUntil(
        'a committed block after genesis time',
        async () => {
          const h = node.status().height;
          return h >= 2 ? h : undefined;
        },
        DELAY_MS + 10_000,
        50,
      );
      assert.ok(height >= 2);
      assert.ok(Date.now() >= genesisTimeMs, 'no block before genesis time');
      assert.equal(node.status().waitingForGenesis, false);
    } finally {
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
