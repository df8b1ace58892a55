import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClientError, trustFromGenesis } from '../../../src/client/index.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { publicKeyOf } from '../../../src/crypto/keys.js';
import { parseGenesis } from '../../../src/genesis/index.js';
import { buildChain, GENESIS, genesisJson, TRUST, VALIDATOR_SECRETS } from './helpers.js';

describe('client: the validator set it trusts', () => {
  it("is the genesis document's: its genesis block hash, chain id, keys, quorum and names", () => {
    assert.equal(toHex(TRUST.validatorSet.genesisId), toHex(TRUST.genesisHash));
    assert.equal(toHex(TRUST.genesisHash), toHex(buildChain(0)[0].id));
    assert.equal(TRUST.validatorSet.chainId, GENESIS.chainId);
    assert.deepEqual(
      TRUST.validatorSet.validators.map((v) => toHex(v.publicKey)),
      VALIDATOR_SECRETS.map((s) => toHex(publicKeyOf(s, true))),
    );
    assert.equal(TRUST.quorum, GENESIS.quorum);
    assert.deepEqual(TRUST.names, ['v0', 'v1', 'v2', 'v3']);
  });

  it('accepts a document that hashes to the pin, and refuses any other', () => {
    const pinned = trustFromGenesis(GENESIS, TRUST.genesisHash);
    assert.equal(toHex(pinned.genesisHash), toHex(TRUST.genesisHash));
    const json = genesisJson();
    const first = Object.keys(json.alloc ?? {})[0];
    const edits = {
      alloc: { ...json, alloc: { ...json.alloc, [first]: '1' } },
      'a validator': { ...json, validators: json.validators.slice(0, 3) },
      'a name': { ...json, validators: json.validators.map((v, i) => (i === 0 ? { ...v, name: 'v9' } : v)) },
      params: { ...json, params: { ...json.params, maxBlockTxs: 99 } },
    };
    for (const [what, edited] of Object.entries(edits))
      assert.throws(
        () => trustFromGenesis(parseGenesis(edited), TRUST.genesisHash),
        (err) => err instanceof ClientError && err.code === 'GENESIS_MISMATCH',
        `a document with another ${what} passed the pin`,
      );
  });
});

describe('client: purity', () => {
  it('src/client does no I/O, reads no clock or randomness, and imports other folders by their index', async () => {
    const dir = join(import.meta.dirname, '../../../src/client');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
    assert.ok(files.includes('index.ts') && files.length >= 5, `found ${files}`);
    const forbidden = [
      /\bDate\.now\b/,
      /\bnew Date\b/,
      /\bMath\.random\b/,
      /\bperformance\.now\b/,
      /\bset(Timeout|Interval|Immediate)\b/,
      /\bprocess\./,
      /\bfetch\(/,
      /\brequire\(/,
    ];
    // folders a client may use; the pure ones only for values, any for types
    const allowedFolders = new Set(['chain', 'consensus', 'crypto', 'genesis']);
    const typeOnlyFolders = new Set(['state', 'commitment']);
    let imports = 0;
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8');
      for (const pattern of forbidden) assert.doesNotMatch(text, pattern, `${file} uses ${pattern}`);
      for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)) {
        imports++;
        const [, typeOnly, source] = m;
        if (source.startsWith('./')) continue;
        assert.ok(!source.startsWith('node:') && source.startsWith('../'), `${file} imports ${source}`);
        if (source === '../errors.js') continue;
        const [folder, entry] = source.slice(3).split('/');
        const allowed = allowedFolders.has(folder) || (typeOnly !== undefined && typeOnlyFolders.has(folder));
        assert.ok(allowed, `${file} imports ${source}`);
        // src/crypto has no index: its files are its surface
        if (folder !== 'crypto') assert.equal(entry, 'index.js', `${file} reaches into ${source}`);
      }
    }
    assert.ok(imports > 20, `only ${imports} imports and exports found: is the pattern still right?`);
  });
});
