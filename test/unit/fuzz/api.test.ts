/**
 * Fuzzed API gates. The JSON-RPC gate (src/rpc): the hex quantity and data parsers, every
 * method's parameters (block numbers and tags, EIP-1898 objects, addresses, hashes, call
 * objects, reward percentiles, raw transactions) over the node's own backend on a real
 * store, and request texts. Whatever a client sends is answered with a result or a JSON-RPC
 * error of a documented code: never the INTERNAL error of a handler that threw, never a
 * value that does not serialise as JSON (a bigint would fail the HTTP answer itself).
 * The explorer API (explorer/server/validation.ts, explorer/web/params.ts): every route
 * parameter, the submission body, and the list cursors the node's reader hands out
 * (src/node/explorer-reader.ts), each parsed to a value whose own text is the input or
 * refused with its typed error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CursorError, type SubmitOutcome } from '../../../explorer/server/index.js';
import { PARAMS } from '../../../explorer/server/schemas.js';
import {
  checkSubmissionShape,
  HTTP_LIMITS,
  HttpError,
  parseParams,
  parseTxSubmission,
} from '../../../explorer/server/validation.js';
import {
  PageError,
  parseAccountAddress,
  parseBefore,
  parseBlockId,
  parseCursor,
  parseSearch,
  parseTxHash,
} from '../../../explorer/web/params.js';
import { toChecksumAddress } from '../../../src/crypto/keys.js';
import { StoreRpcBackend } from '../../../src/node/rpc-backend.js';
import { parseData, parseQuantity } from '../../../src/rpc/hex.js';
import {
  answerRpc,
  answerRpcText,
  createRpcMethods,
  DEFAULT_RPC_OPTIONS,
  RPC_ERRORS,
  RpcError,
  type RpcResponse,
} from '../../../src/rpc/index.js';
import { decodeTransfer, signTransfer, TxError } from '../../../src/tx/index.js';
import { createExplorerStore, type ExplorerStore } from '../../support/explorer-store.js';
import { CHAIN_ID, GWEI } from '../../support/ledger-fixture.js';
import { assertTypedError, fuzzParameters, jsonMutationsOf } from './fuzz.js';

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;
const q = (n: number | bigint) => `0x${n.toString(16)}`;
const DOCUMENTED_CODES = new Set<number>(Object.values(RPC_ERRORS));

/** Strings around the hex formats: valid ones, and each rule broken once. */
const hexDigits = (min: number, max: number) =>
  fc
    .array(fc.constantFrom(...'0123456789abcdefABCDEF'), { minLength: min, maxLength: max })
    .map((d) => d.join(''));
const hexLike = fc.oneof(
  hexDigits(0, 80).map((d) => `0x${d}`),
  hexDigits(0, 80).map((d) => `0X${d}`),
  hexDigits(1, 20).map((d) => `0x0${d}`),
  hexDigits(0, 20).map((d) => `-0x${d}`),
  hexDigits(1, 20).map((d) => ` 0x${d}`),
  hexDigits(0, 20),
  fc.string({ maxLength: 12 }).map((s) => `0x${s}`),
  fc.constantFrom(
    '0x',
    '0x0',
    '0x00',
    '0xg',
    '0x1 ',
    '0x\u0661',
    '0x1n',
    `0x${'f'.repeat(64)}`,
    `0x1${'0'.repeat(64)}`,
  ),
);

describe('fuzzed JSON-RPC hex parsers', () => {
  it('a quantity parses to a number whose own form is its text in lower case, or is INVALID_PARAMS', () => {
    const seen = { parsed: 0, refused: 0 };
    fc.assert(
      fc.property(
        fc.oneof(hexLike, fc.anything({ maxDepth: 1 })),
        fc.constantFrom(64, 256),
        (value, bits) => {
          let n: bigint;
          try {
            n = parseQuantity(value, 'x', bits);
          } catch (err) {
            assert.ok(err instanceof RpcError && err.code === RPC_ERRORS.INVALID_PARAMS, String(err));
            seen.refused++;
            return;
          }
          seen.parsed++;
          assert.ok(n >= 0n && n < 1n << BigInt(bits), `${value} is over ${bits} bits`);
          assert.equal(q(n), (value as string).toLowerCase());
        },
      ),
      fuzzParameters(1500),
    );
    assert.ok(seen.parsed > 0 && seen.refused > 0, JSON.stringify(seen));
  });

  it('data parses to bytes whose own form is its text in lower case, or is INVALID_PARAMS', () => {
    const seen = { parsed: 0, refused: 0 };
    const length = fc.option(fc.constantFrom(20, 32), { nil: undefined });
    fc.assert(
      fc.property(fc.oneof(hexLike, fc.anything({ maxDepth: 1 })), length, (value, exact) => {
        let bytes: Uint8Array;
        try {
          bytes = parseData(value, 'x', exact, 32);
        } catch (err) {
          assert.ok(err instanceof RpcError && err.code === RPC_ERRORS.INVALID_PARAMS, String(err));
          seen.refused++;
          return;
        }
        seen.parsed++;
        assert.ok(exact === undefined ? bytes.length <= 32 : bytes.length === exact);
        assert.equal(hex(bytes), (value as string).toLowerCase());
      }),
      fuzzParameters(1500),
    );
    assert.ok(seen.parsed > 0 && seen.refused > 0, JSON.stringify(seen));
  });
});

describe('fuzzed JSON-RPC methods over the store backend', () => {
  let fixture: ExplorerStore;
  let dispatch: (name: string) => ReturnType<typeof createRpcMethods>[string] | undefined;
  let methodNames: string[];
  const internalErrors: unknown[] = [];

  before(async () => {
    fixture = await createExplorerStore({ blocks: 8, accounts: 3, txsPerBlock: 2, seed: 'rpc-fuzz' });
    const backend = new StoreRpcBackend({
      store: fixture.store,
      mempool: fixture.mempool,
      chainId: CHAIN_ID,
      baseFeePerGas: GWEI,
      maxBlockTxs: 1000,
      clientVersion: 'bft-ledger/fuzz',
      // admission decodes the raw bytes: its refusal is an outcome, never a throw
      submit: async (raws) =>
        raws.map((raw): SubmitOutcome => {
          try {
            return { hash: hex(decodeTransfer(raw, CHAIN_ID).hash) };
          } catch (err) {
            if (!(err instanceof TxError)) throw err;
            return { error: err.code, message: err.message, kind: 'invalid' };
          }
        }),
      peerCount: () => 1,
      syncing: () => false,
    });
    const methods = createRpcMethods(backend, DEFAULT_RPC_OPTIONS);
    methodNames = Object.keys(methods);
    dispatch = (name) => (Object.hasOwn(methods, name) ? methods[name] : undefined);
  });
  after(async () => {
    await fixture?.close();
  });

  /** Answers one request; fails on an internal error, an undocumented code or an answer JSON cannot carry. */
  async function answer(request: unknown): Promise<RpcResponse | RpcResponse[] | undefined> {
    const out = await answerRpc(request, dispatch, DEFAULT_RPC_OPTIONS, (err) => internalErrors.push(err));
    assert.deepEqual(internalErrors, [], `request ${JSON.stringify(request)} threw inside its handler`);
    const text = JSON.stringify(out);
    for (const r of Array.isArray(out) ? out : out ? [out] : [])
      if ('error' in r) assert.ok(DOCUMENTED_CODES.has(r.error.code), `undocumented code in ${text}`);
    return out;
  }

  it("answers any parameters with a result or a documented error, never a handler's failure", async () => {
    const head = fixture.store.head().height;
    const hashes = fixture.txHashes.flat().map(hex);
    const blockHashes = [0, 1, head].map((h) => hex(fixture.store.getSummary(h)!.hash));
    const addresses = fixture.addresses.map(hex);
    const raw = hex(
      signTransfer(
        {
          chainId: CHAIN_ID,
          nonce: 0n,
          maxPriorityFeePerGas: GWEI,
          maxFeePerGas: 2n * GWEI,
          gasLimit: 21_000n,
          to: fixture.addresses[1],
          value: 5n,
        },
        fixture.secrets[0],
      ).raw,
    );
    const quantityValue = fc.oneof(
      fc.constantFrom(0, 1, head, head + 1, 2 ** 53).map(q),
      fc.constantFrom((1n << 64n) - 1n, 1n << 64n, (1n << 256n) - 1n, 1n << 256n).map(q),
      hexLike,
    );
    const scalar = fc.oneof(
      { weight: 3, arbitrary: quantityValue },
      {
        weight: 2,
        arbitrary: fc.constantFrom('latest', 'earliest', 'pending', 'safe', 'finalized', 'LATEST', ''),
      },
      { weight: 2, arbitrary: fc.constantFrom(...hashes, ...blockHashes, ...addresses) },
      { weight: 1, arbitrary: fc.constantFrom(raw, raw.slice(0, -2), `${raw}00`, raw.toUpperCase()) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(0, 1, 8, -1, 1.5, 2 ** 53, 1e300, true, false, null, 1024, 1025),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    );
    const callObject = fc.record(
      {
        from: scalar,
        to: scalar,
        value: scalar,
        gas: scalar,
        gasPrice: scalar,
        maxFeePerGas: scalar,
        data: scalar,
        input: scalar,
      },
      { requiredKeys: [] },
    );
    const param = fc.oneof(
      { weight: 6, arbitrary: scalar },
      { weight: 1, arbitrary: fc.record({ blockHash: scalar }) },
      { weight: 1, arbitrary: fc.record({ blockNumber: scalar }) },
      { weight: 2, arbitrary: callObject },
      {
        weight: 1,
        arbitrary: fc.oneof(
          fc.array(fc.oneof(fc.integer({ min: -1, max: 101 }), fc.double({ noNaN: true }), scalar), {
            maxLength: 4,
          }),
          fc.constant(Array.from({ length: 101 }, (_, i) => i / 1.01)),
        ),
      },
      { weight: 1, arbitrary: fc.anything({ maxDepth: 2, maxKeys: 3 }) },
    );
    // each method's parameters by kind, each position well formed or replaced by anything
    const blockTag = fc.oneof(
      fc.constantFrom('latest', 'earliest', 'pending', 'safe', 'finalized'),
      fc.nat({ max: head + 2 }).map(q),
      fc.constantFrom(...blockHashes).map((blockHash) => ({ blockHash })),
      fc.nat({ max: head + 1 }).map((n) => ({ blockNumber: q(n) })),
    );
    const kinds = {
      tag: blockTag,
      blockHash: fc.constantFrom(...blockHashes),
      txHash: fc.constantFrom(...hashes),
      address: fc.constantFrom(...addresses),
      bool: fc.boolean(),
      count: fc.oneof(fc.nat({ max: 1030 }), fc.nat({ max: 1030 }).map(q)),
      percentiles: fc
        .array(fc.integer({ min: 0, max: 100 }), { maxLength: 5 })
        .map((a) => a.sort((x, y) => x - y)),
      call: fc.record(
        { from: fc.constantFrom(...addresses), to: fc.constantFrom(...addresses), value: fc.nat().map(q) },
        { requiredKeys: ['to'] },
      ),
      filter: fc.constant({}),
      raw: fc.constant(raw),
    };
    type Kind = keyof typeof kinds;
    const templates: Record<string, Kind[]> = {
      eth_getBlockByNumber: ['tag', 'bool'],
      eth_getBlockByHash: ['blockHash', 'bool'],
      eth_getBlockTransactionCountByNumber: ['tag'],
      eth_getBlockTransactionCountByHash: ['blockHash'],
      eth_getBalance: ['address', 'tag'],
      eth_getTransactionCount: ['address', 'tag'],
      eth_getCode: ['address', 'tag'],
      eth_feeHistory: ['count', 'tag', 'percentiles'],
      eth_estimateGas: ['call', 'tag'],
      eth_call: ['call', 'tag'],
      eth_getLogs: ['filter'],
      eth_sendRawTransaction: ['raw'],
      eth_getTransactionByHash: ['txHash'],
      eth_getTransactionReceipt: ['txHash'],
    };
    const paramsOf = (method: string) => {
      const kindsOf = Object.hasOwn(templates, method) ? templates[method] : [];
      const positions = kindsOf.map((k) =>
        fc.oneof(
          { weight: 3, arbitrary: kinds[k] as fc.Arbitrary<unknown> },
          { weight: 1, arbitrary: param },
        ),
      );
      return fc.oneof(
        { weight: 6, arbitrary: fc.tuple(...positions) as fc.Arbitrary<unknown[]> },
        // one too few, one too many, or not a list at all
        { weight: 1, arbitrary: fc.tuple(...positions).map((p) => (p as unknown[]).slice(0, -1)) },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.tuple(...positions), param).map(([p, x]) => [...(p as unknown[]), x]),
        },
        { weight: 1, arbitrary: fc.array(param, { maxLength: 4 }) },
        { weight: 1, arbitrary: param },
      );
    };
    const request = fc
      .oneof(
        { weight: 20, arbitrary: fc.constantFrom(...methodNames) },
        { weight: 1, arbitrary: fc.constantFrom('eth_sign', 'constructor', '__proto__') },
      )
      .chain((method) => paramsOf(method).map((params) => ({ method, params })));
    const seen = { results: 0, errors: 0 };
    await fc.assert(
      fc.asyncProperty(request, async ({ method, params }) => {
        const out = await answer({ jsonrpc: '2.0', id: 1, method, params });
        assert.ok(out && !Array.isArray(out));
        seen['result' in out ? 'results' : 'errors']++;
      }),
      fuzzParameters(1000),
    );
    assert.ok(seen.results > 0 && seen.errors > 0, JSON.stringify(seen));
  });

  it("a list cursor reads a page of the list, or throws a CursorError (the reader's cursor decoder)", async () => {
    const { reader } = fixture;
    for (let i = 0; i < 3; i++) fixture.addPending(i % 3, fixture.addresses[(i + 1) % 3], 10n + BigInt(i));
    const lists: Array<{
      kind: number;
      payload: number;
      read: (cursor: string | undefined, limit: number) => unknown;
    }> = [
      { kind: 1, payload: 8, read: (cursor, limit) => reader.blocks({ cursor, limit }) },
      { kind: 2, payload: 12, read: (cursor, limit) => reader.blockTxs(3, { cursor, limit }) },
      {
        kind: 3,
        payload: 32,
        read: (cursor, limit) => reader.accountTxs(fixture.addresses[0], { cursor, limit }),
      },
      { kind: 4, payload: 8, read: (cursor, limit) => reader.mempool({ cursor, limit }) },
    ];
    type Page = { items: unknown[]; next: string | null };
    // the cursors the lists hand out, first pages of one and two items
    const genuine = lists.map((list) => {
      const first = (limit: number) => (list.read(undefined, limit) as Page).next;
      return [first(1), first(2)].filter((c): c is string => c !== null);
    });
    for (const [i, cursors] of genuine.entries())
      assert.ok(cursors.length > 0, `list ${i} handed out no cursor`);
    const base64url = fc.constantFrom(...'AQgw09_-');
    const mutated = (cursors: string[]) =>
      fc.oneof(
        fc.constantFrom(...cursors),
        fc
          .tuple(
            fc.constantFrom(...cursors),
            fc.nat(),
            fc.oneof(base64url, fc.constantFrom('=', '+', '/', '.', ' ')),
          )
          .map(([c, at, ch]) => c.slice(0, at % c.length) + ch + c.slice((at % c.length) + 1)),
        fc.tuple(fc.constantFrom(...cursors), fc.nat()).map(([c, at]) => c.slice(0, at % c.length)),
        fc.tuple(fc.constantFrom(...cursors), base64url).map(([c, ch]) => c + ch),
        fc.string({ unit: base64url, maxLength: 300 }),
      );
    // canonical cursors of the right kind and length with any payload: heights past 2^53, indexes past the block
    const forged = (kind: number, payload: number) =>
      fc
        .tuple(
          fc.constantFrom(kind, kind, 1, 2, 3, 4),
          fc.uint8Array({ minLength: payload, maxLength: payload }),
        )
        .map(([k, body]) => Buffer.from([k, ...body]).toString('base64url'));
    const seen = { read: 0, refused: 0 };
    fc.assert(
      fc.property(
        fc
          .nat(lists.length - 1)
          .chain((i) =>
            fc.tuple(
              fc.constant(i),
              fc.oneof(mutated(genuine[i]), forged(lists[i].kind, lists[i].payload)),
              fc.integer({ min: 1, max: 3 }),
            ),
          ),
        ([i, cursor, limit]) => {
          let page: Page;
          try {
            page = lists[i].read(cursor, limit) as Page;
          } catch (err) {
            assertTypedError(err, CursorError);
            assert.ok(!genuine[i].includes(cursor), `the list refused its own cursor ${cursor}`);
            seen.refused++;
            return;
          }
          seen.read++;
          assert.ok(page.items.length <= limit);
          // a page's own cursor is one the list reads
          if (page.next !== null) lists[i].read(page.next, limit);
        },
      ),
      fuzzParameters(800),
    );
    assert.ok(seen.read > 0 && seen.refused > 0, JSON.stringify(seen));
  });

  it('answers any request text with a response or nothing, never a handler failure', async () => {
    const single = {
      jsonrpc: '2.0',
      id: 7,
      method: 'eth_getBalance',
      params: [hex(fixture.addresses[0]), 'latest'],
    };
    const batch = [
      single,
      { jsonrpc: '2.0', id: 'b', method: 'eth_getBlockByNumber', params: ['0x1', true] },
      { jsonrpc: '2.0', method: 'eth_blockNumber' },
    ];
    const texts = fc.oneof(jsonMutationsOf(single), jsonMutationsOf(batch), fc.string({ maxLength: 64 }));
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        const out = await answerRpcText(text, dispatch, DEFAULT_RPC_OPTIONS, (err) =>
          internalErrors.push(err),
        );
        assert.deepEqual(internalErrors, [], `request ${text} threw inside its handler`);
        JSON.stringify(out);
        for (const r of Array.isArray(out) ? out : out ? [out] : [])
          if ('error' in r) assert.ok(DOCUMENTED_CODES.has(r.error.code), JSON.stringify(r));
      }),
      fuzzParameters(800),
    );
  });
});

/** Texts around the explorer's formats: heights, hashes, addresses (every case), cursors, and each broken once. */
const ADDRESS = Uint8Array.from({ length: 20 }, (_, i) => i * 13 + 1);
const explorerText = fc.oneof(
  fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constant(2 ** 53)).map(String),
  fc.nat({ max: 1000 }).map((n) => `0${n}`),
  fc.constantFrom('', ' ', '-1', '+1', '1e3', '1.5', ' 7 ', '\u0661', '0x1', '100', '101', '9'.repeat(17)),
  hexDigits(0, 70).map((d) => `0x${d}`),
  hexDigits(64, 64).map((d) => `0x${d}`),
  hexDigits(64, 64).map((d) => ` 0x${d}\t`),
  hexDigits(40, 40).map((d) => `0x${d}`),
  fc.constantFrom(
    toChecksumAddress(ADDRESS),
    toChecksumAddress(ADDRESS).toLowerCase(),
    `0X${'ab'.repeat(20)}`,
  ),
  fc.string({ unit: fc.constantFrom(...'AQgw_-=+/.'), maxLength: 24 }),
  fc.string({ maxLength: 12 }),
  fc.constant('x'.repeat(300)),
);
const queryValue = fc.oneof(
  { weight: 8, arbitrary: explorerText },
  // what express's query parser makes of `?a=1&a=2` and `?a[b]=1`
  { weight: 1, arbitrary: fc.array(explorerText, { minLength: 2, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.record({ b: explorerText }) },
);
const lower = (text: string) => text.toLowerCase();

/** The text a parsed parameter value stands for: the input, in canonical form. */
function textOf(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return hex(value);
  const v = value as { height?: number; hash?: Uint8Array; address?: Uint8Array };
  return textOf(v.height ?? v.hash ?? v.address);
}

describe('fuzzed explorer API parameters', () => {
  it('each route parameter parses to a value whose text is the input, or is a 400 with its code', () => {
    const seen = { parsed: 0, refused: 0 };
    const names = Object.keys(PARAMS) as Array<keyof typeof PARAMS>;
    fc.assert(
      fc.property(fc.constantFrom(...names), queryValue, fc.boolean(), (name, value, extra) => {
        const spec = PARAMS[name];
        const values: Record<string, unknown> = extra
          ? { [name]: value, [`${name}s`]: '1' }
          : { [name]: value };
        let parsed: Record<string, unknown>;
        try {
          parsed = parseParams({ [name]: spec }, values, 'query');
        } catch (err) {
          assertTypedError(err, HttpError);
          const { status, code } = err as HttpError;
          assert.equal(status, 400);
          assert.ok([spec.code, 'REPEATED_PARAMETER', 'UNKNOWN_PARAMETER'].includes(code), code);
          seen.refused++;
          return;
        }
        seen.parsed++;
        assert.ok(!extra && typeof value === 'string');
        const input = name === 'q' ? value.trim() : value;
        // hex is read in either case; a cursor is opaque text
        assert.equal(textOf(parsed[name]), name !== 'cursor' && /^0x/i.test(input) ? lower(input) : input);
      }),
      fuzzParameters(1000),
    );
    assert.ok(seen.parsed > 0 && seen.refused > 0, JSON.stringify(seen));
  });

  it("the pages' parsers give the API's values, or a 400 PageError", () => {
    const parsers: Array<[string, (v: unknown) => unknown, (text: string) => unknown]> = [
      ['blockId', (v) => parseBlockId(v as string), (t) => PARAMS.blockId.schema.parse(t)],
      ['txHash', (v) => parseTxHash(v as string), (t) => PARAMS.txHash.schema.parse(t)],
      ['address', (v) => parseAccountAddress(v as string), (t) => PARAMS.address.schema.parse(t)],
      ['cursor', (v) => parseCursor({ cursor: v }), (t) => (t === '' ? undefined : t)],
      [
        'before',
        (v) => parseBefore({ before: v }),
        (t) => (t === '' ? undefined : PARAMS.before.schema.parse(t)),
      ],
      ['q', (v) => parseSearch({ q: v }), (t) => PARAMS.q.schema.parse(t)],
    ];
    const seen = { parsed: 0, refused: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...parsers), explorerText, ([, parse, api], text) => {
        let value: unknown;
        try {
          value = parse(text);
        } catch (err) {
          assertTypedError(err, PageError);
          assert.equal((err as PageError).status, 400);
          seen.refused++;
          return;
        }
        seen.parsed++;
        // the same text means the same thing to a page and to the API
        assert.deepEqual(value, api(text));
      }),
      fuzzParameters(1000),
    );
    assert.ok(seen.parsed > 0 && seen.refused > 0, JSON.stringify(seen));
  });

  it('a submission body gives raw transactions whose hex is its strings, or is a 400 HttpError', () => {
    const raw = `0x${'02f8'.padEnd(200, 'a5')}`;
    const docs = fc.oneof(
      jsonMutationsOf(raw),
      jsonMutationsOf([raw, raw.toUpperCase().replace('0X', '0x'), raw]),
    );
    const bodies = fc.oneof(
      { weight: 6, arbitrary: docs },
      {
        weight: 1,
        arbitrary: fc
          .nat({ max: 3 })
          .map((n) => `[${'"0x00",'.repeat(HTTP_LIMITS.batchMaxTxs - 2 + n)}"0x00"]`),
      },
      { weight: 1, arbitrary: fc.nat({ max: 40 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          `" ${raw}\\n"`,
          `"0x${'00'.repeat(513)}"`,
          `"0x${'0'.repeat(1025)}"`,
          '{}',
          'null',
          '[]',
        ),
      },
    );
    const seen = { parsed: 0, refused: 0 };
    fc.assert(
      fc.property(bodies, (text) => {
        let body: unknown;
        try {
          checkSubmissionShape(Buffer.from(text));
          body = JSON.parse(text);
        } catch (err) {
          // not JSON: express's parser answers MALFORMED_JSON before the gate
          if (err instanceof SyntaxError) return;
          assertTypedError(err, HttpError);
          seen.refused++;
          return;
        }
        let submission: ReturnType<typeof parseTxSubmission>;
        try {
          submission = parseTxSubmission(body);
        } catch (err) {
          assertTypedError(err, HttpError);
          assert.equal((err as HttpError).status, 400);
          seen.refused++;
          return;
        }
        seen.parsed++;
        const strings = (Array.isArray(body) ? body : [body]) as string[];
        assert.equal(submission.batch, Array.isArray(body));
        assert.ok(strings.length >= 1 && strings.length <= HTTP_LIMITS.batchMaxTxs);
        assert.deepEqual(
          submission.raws.map(hex),
          strings.map((s) => lower(s.trim())),
        );
      }),
      fuzzParameters(800),
    );
    assert.ok(seen.parsed > 0 && seen.refused > 0, JSON.stringify(seen));
  });
});
