/**
 * With StoreOptions.mapSizeBytes the chain store maps its data file once: lmdb-js grows a
 * full map by mapping the file again at twice the size and keeps the earlier maps until
 * close, so the pages read through each stayed resident in each. Counted from
 * /proc/self/maps after the file has grown well past lmdb-js's 128 KB starting map.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type Block, hashHeader } from '../../../src/chain/index.js';
import { mapSizeFor } from '../../../src/store/data-file.js';
import { DEFAULT_STORE_OPTIONS, LedgerStore, type StoreOptions } from '../../../src/store/index.js';
import { testAddress } from '../../support/transfers.js';

const NODE_BYTES = 512;
const NODES_PER_BLOCK = 256;
const BLOCKS = 24;

const emptyBlock = (height: number, parentHash: Uint8Array): Block => ({
  header: {
    chainId: 7n,
    height,
    round: height,
    parentHash,
    proposer: testAddress(9),
    timestampMs: 1000 + height,
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    receiptsRoot: new Uint8Array(32),
    parentQc: new Uint8Array([height]),
  },
  transactions: [],
});

/** A block whose commit writes NODES_PER_BLOCK tree nodes of NODE_BYTES each (distinct keys). */
const commitOf = (block: Block) => {
  const puts: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < NODES_PER_BLOCK; i++) {
    const key = new Uint8Array(8);
    new DataView(key.buffer).setUint32(0, block.header.height);
    new DataView(key.buffer).setUint32(4, i);
    puts.push([key, new Uint8Array(NODE_BYTES).fill((block.header.height + i) & 0xff)]);
  }
  return {
    block,
    hash: hashHeader(block.header),
    receipts: [],
    accounts: [],
    tree: { puts, deletes: [] },
    transfers: [],
    burned: 0n,
    createdAccounts: 0,
  };
};

/** The address ranges this process maps `file` at. */
function mappingsOf(file: string): number {
  const { ino } = statSync(file);
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => {
      const fields = line.trim().split(/\s+/);
      return fields.length >= 6 && Number(fields[4]) === ino && fields.slice(5).join(' ') === file;
    }).length;
}

/** Opens a store, commits BLOCKS blocks and counts the maps of its data file while it is open. */
async function grownStoreMaps(
  dir: string,
  options: Partial<StoreOptions>,
): Promise<{ maps: number; fileBytes: number }> {
  const genesis = emptyBlock(0, new Uint8Array(32));
  const store = LedgerStore.open(dir, hashHeader(genesis.header), options);
  try {
    await store.initialise(commitOf(genesis));
    let parent = genesis;
    for (let h = 1; h <= BLOCKS; h++) {
      const block = emptyBlock(h, hashHeader(parent.header));
      await store.commitBlock(commitOf(block));
      parent = block;
    }
    // a read of the newest data goes through the newest map
    assert.equal(store.head().height, BLOCKS);
    const file = join(dir, 'data.mdb');
    return { maps: mappingsOf(file), fileBytes: statSync(file).size };
  } finally {
    await store.close();
  }
}

describe('chain store map size (mapSizeBytes)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-map-size-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('by default the data file is mapped once however far it grows past 128 KB, and is not extended to the map', async () => {
    const { maps, fileBytes } = await grownStoreMaps(dir, {});
    assert.ok(fileBytes > 2 * 1024 * 1024, `the file grew to ${fileBytes} bytes only`);
    assert.ok(fileBytes < 64 * 1024 * 1024, `the file was extended to ${fileBytes} bytes`);
    assert.equal(maps, 1, `data.mdb mapped ${maps} times`);
  });

  it("with mapSizeBytes 0 (lmdb-js's 128 KB start) the file is remapped as it grows, each earlier map kept", async () => {
    const { maps } = await grownStoreMaps(dir, { mapSizeBytes: 0 });
    assert.ok(maps > 2, `data.mdb mapped ${maps} times`);
  });

  it('a process with a limited address space (ulimit -v) opens with lmdb-js growing maps, not the large map', () => {
    // the limits as such a process reads them (lmdb-js dies of SIGSEGV there with a large map)
    const limited = spawnSync('sh', ['-c', 'ulimit -v 8000000 && cat /proc/self/limits'], {
      encoding: 'utf8',
    });
    assert.equal(limited.status, 0, limited.stderr);
    assert.equal(mapSizeFor(DEFAULT_STORE_OPTIONS.mapSizeBytes, limited.stdout), 0);
    const unlimited = spawnSync('sh', ['-c', 'ulimit -v unlimited && cat /proc/self/limits'], {
      encoding: 'utf8',
    });
    assert.equal(
      mapSizeFor(DEFAULT_STORE_OPTIONS.mapSizeBytes, unlimited.stdout),
      DEFAULT_STORE_OPTIONS.mapSizeBytes,
    );
    assert.equal(
      mapSizeFor(DEFAULT_STORE_OPTIONS.mapSizeBytes, undefined),
      DEFAULT_STORE_OPTIONS.mapSizeBytes,
    );
    assert.equal(mapSizeFor(0, unlimited.stdout), 0);
  });
});
