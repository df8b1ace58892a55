/** Fuzzed genesis parser (src/genesis/parse.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createGenesis, GenesisError, genesisToJson, parseGenesis } from '../../../src/genesis/index.js';
import { assertTypedError, fuzzParameters, jsonMutationsOf } from './fuzz.js';

const { json } = createGenesis({
  validators: 2,
  chainId: 1337n,
  genesisTimeMs: 1_700_000_000_000,
  alloc: [{ address: new Uint8Array(20).fill(5), balance: 10n ** 18n }],
});

describe('fuzzed genesis parser', () => {
  it('a genesis parses to a value whose file form parses to the same value, or throws a GenesisError', () => {
    const seen = { parsed: 0, refused: 0 };
    fc.assert(
      fc.property(jsonMutationsOf(json), (text) => {
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch {
          return; // not JSON: loadGenesisFile refuses it before parseGenesis
        }
        let genesis: ReturnType<typeof parseGenesis>;
        try {
          genesis = parseGenesis(doc);
        } catch (err) {
          assertTypedError(err, GenesisError);
          seen.refused++;
          return;
        }
        seen.parsed++;
        assert.deepEqual(parseGenesis(genesisToJson(genesis)), genesis);
      }),
      fuzzParameters(400),
    );
    assert.ok(seen.parsed > 0 && seen.refused > 0, 'both outcomes must occur');
  });
});
