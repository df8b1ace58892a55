/**
 * Fuzzed JSON-RPC gate (src/rpc): the hex quantity and data parsers, every method's
 * parameters (block numbers and tags, EIP-1898 objects, addresses, hashes, call objects,
 * reward percentiles, raw transactions) over the node's own backend on a real store, and
 * request texts. Whatever a client sends is answered with a result or a JSON-RPC error of a
 * documented code: never the INTERNAL error of a handler that threw, never a value that
 * does not serialise as JSON (a bigint would fail the HTTP answer itself).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { SubmitOutcome } from '../../../explorer/server/index.js';
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
import { fuzzParameters, jsonMutationsOf } from './fuzz.js';

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
      fuzzParameters(1500),
    );
    assert.ok(seen.results > 0 && seen.errors > 0, JSON.stringify(seen));
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
