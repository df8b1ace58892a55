/**
 * Fuzzed text parsers of the command line and of the files an operator writes: option
 * values (src/cli/options.ts), amounts (src/tx/units.ts), the wallet's key, genesis pin and
 * node list (src/wallet), bootstrap multiaddrs (src/network) and the validators file of
 * `genesis create` (src/genesis/public-parts.ts). Each text parses to a value whose own
 * text parses back to the same value, or throws its typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import {
  parseDecimal,
  parseNonNegativeInt,
  parsePositiveInt,
  parseScryptN,
} from '../../../src/cli/options.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf, publicKeyOf, toChecksumAddress } from '../../../src/crypto/keys.js';
import { InvalidInputError } from '../../../src/errors.js';
import {
  DEFAULT_GENESIS_PARAMS,
  GenesisError,
  type GenesisParties,
  genesisFromParties,
  parseValidatorsFile,
  peerIdOfPublicKey,
} from '../../../src/genesis/index.js';
import { NetworkError, parsePeerAddress } from '../../../src/network/index.js';
import { formatUnitsExact, parseAmount } from '../../../src/tx/units.js';
import { parseGenesisHash, parseNodeList, parsePrivateKey, WalletError } from '../../../src/wallet/index.js';
import { assertTypedError, fuzzParameters } from './fuzz.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs a text parser over `texts`: a value whose `textOf` parses to the same value, or `errorClass`. */
function checkTextParser<T>(
  texts: fc.Arbitrary<string>,
  parse: (text: string) => T,
  textOf: (value: T) => string,
  errorClass: ErrorClass,
  runs: number,
): void {
  const seen = { parsed: 0, refused: 0 };
  fc.assert(
    fc.property(texts, (text) => {
      let value: T;
      try {
        value = parse(text);
      } catch (err) {
        assertTypedError(err, errorClass);
        seen.refused++;
        return;
      }
      seen.parsed++;
      assert.deepEqual(parse(textOf(value)), value);
    }),
    fuzzParameters(runs),
  );
  assert.ok(seen.parsed > 0 && seen.refused > 0, JSON.stringify(seen));
}

/** Texts around a set of valid ones: a character replaced, inserted or cut, a cut, or any text. */
function textMutationsOf(valid: fc.Arbitrary<string>, alphabet: string): fc.Arbitrary<string> {
  const char = fc.oneof(
    fc.constantFrom(...alphabet),
    fc.constantFrom(' ', '\t', '\n', '#', '\u00e9', '\u0661'),
  );
  return fc.oneof(
    { weight: 2, arbitrary: valid },
    {
      weight: 3,
      arbitrary: fc.tuple(valid, fc.nat(), char, fc.nat(2)).map(([t, at, c, how]) => {
        const i = t.length === 0 ? 0 : at % t.length;
        return t.slice(0, i) + (how === 2 ? '' : c) + t.slice(how === 1 ? i : i + 1);
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.nat()).map(([t, at]) => t.slice(0, t.length === 0 ? 0 : at % t.length)),
    },
    { weight: 1, arbitrary: fc.string({ unit: char, maxLength: 90 }) },
  );
}

const decimal = fc.oneof(
  fc.nat().map(String),
  fc.nat(24).map((n) => String(2 ** n)),
  fc.bigInt({ min: 0n, max: (1n << 260n) - 1n }).map(String),
  fc.constantFrom('9007199254740991', '9007199254740992', '999999999999999', '1000000000000000'),
);

describe('fuzzed command-line values', () => {
  it('integer options parse to numbers whose decimal is the text, or throw an InvalidArgumentError', () => {
    const texts = textMutationsOf(decimal, '0123456789-+.e');
    for (const parse of [parsePositiveInt, parseNonNegativeInt, parseScryptN])
      checkTextParser(texts, parse, String, InvalidArgumentError, 300);
    checkTextParser(texts, parseDecimal, String, InvalidArgumentError, 300);
  });

  it('an amount parses to wei whose exact form parses back to it, or throws an InvalidInputError', () => {
    const amounts = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }).map(formatUnitsExact),
      fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }).map((w) => `${w} wei`),
      fc.constantFrom('1.5', '0.000000000000000001', '2 BFT', '1500wei', '1.', '.5', '1e3', '-1', '1,000'),
    );
    checkTextParser(
      textMutationsOf(amounts, '0123456789.,weiWEIbft-'),
      parseAmount,
      formatUnitsExact,
      InvalidInputError,
      1000,
    );
  });
});

describe('fuzzed wallet inputs', () => {
  const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
  const alphabet = '0123456789abcdefABCDEFxX';

  it('a private key parses to a valid secret, or throws a WalletError', () => {
    const keys = fc.oneof(
      hex64,
      hex64.map((h) => h.slice(2)),
      fc.constantFrom(`0x${'0'.repeat(64)}`, `0x${'f'.repeat(64)}`),
    );
    checkTextParser(textMutationsOf(keys, alphabet), parsePrivateKey, toHex, WalletError, 500);
  });

  it('a genesis pin parses to 32 bytes, or throws a WalletError', () => {
    checkTextParser(textMutationsOf(hex64, alphabet), parseGenesisHash, toHex, WalletError, 500);
  });

  it('a node list parses to URLs that parse to themselves, or throws a WalletError', () => {
    const url = fc.constantFrom(
      'http://127.0.0.1:8080',
      'https://node.example.org/ledger/',
      'http://[::1]:7000',
      'HTTP://Node.Example.org:80/a//',
      'ftp://x',
      'http://u:p@x',
      'http://x/?a=1',
    );
    const lists = fc.array(url, { minLength: 1, maxLength: 4 }).map((u) => u.join(', '));
    checkTextParser(
      textMutationsOf(lists, ':/.,[]@?#%'),
      parseNodeList,
      (urls) => urls.join(','),
      WalletError,
      500,
    );
  });
});

/** Fixed keys: secret i is 32 bytes of i. */
function party(i: number) {
  const secret = new Uint8Array(32).fill(i);
  const publicKey = publicKeyOf(secret, true);
  return {
    name: `v${i}`,
    address: toChecksumAddress(addressOf(secret)),
    publicKey: toHex(publicKey),
    peerId: peerIdOfPublicKey(publicKey),
  };
}

describe('fuzzed operator files', () => {
  const parties = [1, 2, 3, 4].map(party);
  const funded = toChecksumAddress(addressOf(new Uint8Array(32).fill(20)));

  it('a bootstrap multiaddr parses to one whose text parses to the same peer, or throws a NetworkError', () => {
    const addresses = fc
      .tuple(
        fc.constantFrom(...parties),
        fc.constantFrom('/ip4/10.0.0.1/tcp/7000', '/dns4/v1.example.org/tcp/1', '/ip6/::1/tcp/2'),
      )
      .map(([p, at]) => `${at}/p2p/${p.peerId}`);
    checkTextParser(
      textMutationsOf(addresses, '/0123456789abcdefpiQm'),
      (text) => {
        const { address, peerId } = parsePeerAddress(text);
        return { text: address.toString(), peerId };
      },
      (v) => v.text,
      NetworkError,
      400,
    );
  });

  it('a validators file gives parties that write back to the same parties, or throws a GenesisError', () => {
    const lines = [
      '# the validators',
      ...parties.map((v) => `validator ${v.name} ${v.address} ${v.publicKey} ${v.peerId}`),
      `observer explorer ${party(9).peerId}   # read-only`,
      `alloc ${funded} 1000000`,
    ];
    // token-level edits: a field replaced by another line's, by a name an object already has, or dropped
    const token = fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'validator',
      'alloc',
      '7',
      '0x',
      funded,
    );
    const texts = fc.oneof(
      { weight: 1, arbitrary: fc.constant(lines.join('\n')) },
      {
        weight: 4,
        arbitrary: fc
          .array(fc.tuple(fc.nat(), fc.nat(), token, fc.boolean()), { minLength: 1, maxLength: 2 })
          .map((edits) => {
            const out = lines.map((l) => l.split(' '));
            for (const [line, field, value, drop] of edits) {
              const fields = out[line % out.length];
              if (drop) fields.splice(field % fields.length, 1);
              else fields[field % fields.length] = value;
            }
            return out.map((f) => f.join(' ')).join('\n');
          }),
      },
      { weight: 2, arbitrary: textMutationsOf(fc.constant(lines.join('\n')), 'vx0 ') },
    );
    const options = {
      chainId: 4242n,
      genesisTimeMs: 1_700_000_000_000,
      params: { ...DEFAULT_GENESIS_PARAMS, baseFeePerGas: DEFAULT_GENESIS_PARAMS.baseFeePerGas.toString() },
      source: 'validators.txt',
    };
    const textOf = (p: GenesisParties) =>
      [
        ...p.validators.map((v) => `validator ${v.name} ${v.address} ${v.publicKey} ${v.peerId} ${v.power}`),
        ...p.observers.map((o) => `observer ${o.name} ${o.peerId}`),
        ...Object.entries(p.alloc).map(([a, wei]) => `alloc ${a} ${wei}`),
      ].join('\n');
    const withoutLines = (p: GenesisParties) => ({
      validators: p.validators,
      observers: p.observers,
      alloc: p.alloc,
    });
    let built = 0;
    checkTextParser(
      texts,
      (text) => {
        const parsed = parseValidatorsFile(text, 'validators.txt');
        // every entry of the file is in the parties: none lost on the way
        const written = text.split('\n').filter((l) => /^\s*alloc\s/.test(l.replace(/#.*/, '')));
        assert.equal(Object.keys(parsed.alloc).length, written.length, 'an alloc line was dropped');
        try {
          genesisFromParties(parsed, options);
          built++;
        } catch (err) {
          assertTypedError(err, GenesisError);
        }
        return withoutLines(parsed);
      },
      textOf,
      GenesisError,
      120,
    );
    assert.ok(built > 0, 'no file built a genesis');
  });

  it('refuses an alloc line for the address __proto__ (regression: it set the prototype, and the line vanished)', () => {
    const text = `validator v1 ${parties[0].address} ${parties[0].publicKey} ${parties[0].peerId}\nalloc __proto__ 5`;
    const parsed = parseValidatorsFile(text, 'validators.txt');
    assert.deepEqual(Object.keys(parsed.alloc), ['__proto__']);
    assert.throws(
      () =>
        genesisFromParties(parsed, {
          chainId: 1n,
          genesisTimeMs: 1,
          params: { ...DEFAULT_GENESIS_PARAMS, baseFeePerGas: '1' },
          source: 'validators.txt',
        }),
      (err) => err instanceof GenesisError && err.path.startsWith('validators.txt:2'),
    );
  });
});
