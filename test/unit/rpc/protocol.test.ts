/**
 * The JSON-RPC 2.0 gate (src/rpc/protocol.ts) over a dispatch of test methods: ids echoed as
 * sent, notifications answered by nothing, batches answered in order (an array in, an array
 * out), every malformed envelope an error object with the code JSON-RPC 2.0 assigns, and a
 * handler's unexpected failure an INTERNAL error that tells the client nothing more.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  answerRpc,
  answerRpcText,
  nestsDeeperThan,
  RPC_ERRORS,
  RpcError,
  type RpcMethod,
  type RpcResponse,
} from '../../../src/rpc/index.js';
import { assertShape, errorResponse } from '../../support/rpc-schemas.js';

const OPTIONS = { maxBatchCalls: 5, maxBatchResponseBytes: 5000, maxJsonDepth: 8 };

const calls: string[] = [];
const methods: Record<string, RpcMethod> = {
  echo: (params) => params,
  slow_echo: async (params) => {
    // resolves in a later turn: a batch still answers in order
    await new Promise((r) => setImmediate(r));
    return params;
  },
  record: (params) => {
    calls.push(String(params[0]));
    return true;
  },
  refuse: () => {
    throw new RpcError(RPC_ERRORS.SERVER_ERROR, 'nonce too low', { reason: 'NONCE_TOO_LOW' });
  },
  crash: () => {
    throw new Error('secret internal detail at /srv/ledger/src/x.ts:12');
  },
};
const dispatch = (name: string) => (Object.hasOwn(methods, name) ? methods[name] : undefined);

function single(answer: RpcResponse | RpcResponse[] | undefined): RpcResponse {
  assert.ok(answer !== undefined && !Array.isArray(answer), `one response, got ${JSON.stringify(answer)}`);
  return answer;
}

function errorOf(answer: RpcResponse | RpcResponse[] | undefined, code: number) {
  const response = single(answer);
  assertShape(errorResponse, response, 'error response');
  assert.ok('error' in response);
  assert.equal(response.error.code, code, JSON.stringify(response));
  return response;
}

describe('JSON-RPC 2.0 gate', () => {
  it('echoes a string, number or null id with the result', async () => {
    for (const id of ['abc', 7, 0, -1.5, null]) {
      const response = single(
        await answerRpc({ jsonrpc: '2.0', id, method: 'echo', params: [1] }, dispatch, OPTIONS),
      );
      assert.deepEqual(response, { jsonrpc: '2.0', id, result: [1] });
    }
  });

  it('reads absent params as none', async () => {
    const response = single(await answerRpc({ jsonrpc: '2.0', id: 1, method: 'echo' }, dispatch, OPTIONS));
    assert.deepEqual(response, { jsonrpc: '2.0', id: 1, result: [] });
  });

  it('refuses an id that is an object, a boolean or a very long string, with id null', async () => {
    for (const id of [{ a: 1 }, true, [1], 'x'.repeat(300)]) {
      const response = errorOf(
        await answerRpc({ jsonrpc: '2.0', id, method: 'echo' }, dispatch, OPTIONS),
        RPC_ERRORS.INVALID_REQUEST,
      );
      assert.equal(response.id, null);
    }
  });

  it('refuses a request without jsonrpc "2.0" or without a method name, keeping its id', async () => {
    for (const request of [
      { id: 4, method: 'echo' },
      { jsonrpc: '1.0', id: 4, method: 'echo' },
      { jsonrpc: '2.0', id: 4 },
      { jsonrpc: '2.0', id: 4, method: 42 },
      { jsonrpc: '2.0', id: 4, method: '' },
      { jsonrpc: '2.0', id: 4, method: 'm'.repeat(10_000) },
    ]) {
      const response = errorOf(await answerRpc(request, dispatch, OPTIONS), RPC_ERRORS.INVALID_REQUEST);
      assert.equal(response.id, 4);
    }
  });

  it('names an unknown method in the words clients expect', async () => {
    const response = errorOf(
      await answerRpc({ jsonrpc: '2.0', id: 1, method: 'eth_mining' }, dispatch, OPTIONS),
      RPC_ERRORS.METHOD_NOT_FOUND,
    );
    assert.ok('error' in response);
    assert.equal(response.error.message, 'the method eth_mining does not exist/is not available');
  });

  it('refuses parameters by name (an object) with INVALID_PARAMS', async () => {
    errorOf(
      await answerRpc({ jsonrpc: '2.0', id: 1, method: 'echo', params: { a: 1 } }, dispatch, OPTIONS),
      RPC_ERRORS.INVALID_PARAMS,
    );
    errorOf(
      await answerRpc({ jsonrpc: '2.0', id: 1, method: 'echo', params: 'x' }, dispatch, OPTIONS),
      RPC_ERRORS.INVALID_PARAMS,
    );
  });

  it("passes a handler's RpcError through with its data", async () => {
    const response = errorOf(
      await answerRpc({ jsonrpc: '2.0', id: 9, method: 'refuse' }, dispatch, OPTIONS),
      RPC_ERRORS.SERVER_ERROR,
    );
    assert.deepEqual(response, {
      jsonrpc: '2.0',
      id: 9,
      error: { code: RPC_ERRORS.SERVER_ERROR, message: 'nonce too low', data: { reason: 'NONCE_TOO_LOW' } },
    });
  });

  it('answers an unexpected failure as INTERNAL without its detail, and reports it', async () => {
    const reported: unknown[] = [];
    const response = errorOf(
      await answerRpc({ jsonrpc: '2.0', id: 2, method: 'crash' }, dispatch, OPTIONS, (err) =>
        reported.push(err),
      ),
      RPC_ERRORS.INTERNAL,
    );
    assert.ok('error' in response);
    assert.equal(response.error.message, 'internal error');
    assert.ok(!JSON.stringify(response).includes('/srv/'));
    assert.equal(reported.length, 1);
  });

  it('runs a notification (no id) and answers nothing, even when it fails', async () => {
    calls.length = 0;
    assert.equal(
      await answerRpc({ jsonrpc: '2.0', method: 'record', params: ['n1'] }, dispatch, OPTIONS),
      undefined,
    );
    assert.deepEqual(calls, ['n1']);
    for (const method of ['refuse', 'crash', 'no_such_method'])
      assert.equal(await answerRpc({ jsonrpc: '2.0', method }, dispatch, OPTIONS), undefined);
  });

  it('answers a batch in order, one response per call with an id, errors in place', async () => {
    calls.length = 0;
    const answer = await answerRpc(
      [
        { jsonrpc: '2.0', id: 'a', method: 'slow_echo', params: ['first'] },
        { jsonrpc: '2.0', method: 'record', params: ['note'] },
        { jsonrpc: '2.0', id: 'b', method: 'echo', params: ['second'] },
        42,
        { jsonrpc: '2.0', id: 'c', method: 'no_such_method' },
      ],
      dispatch,
      OPTIONS,
    );
    assert.ok(Array.isArray(answer));
    assert.deepEqual(
      answer.map((r) => [r.id, 'result' in r ? r.result : r.error.code]),
      [
        ['a', ['first']],
        ['b', ['second']],
        [null, RPC_ERRORS.INVALID_REQUEST],
        ['c', RPC_ERRORS.METHOD_NOT_FOUND],
      ],
    );
    assert.deepEqual(calls, ['note']);
  });

  it('answers a batch of notifications only with nothing', async () => {
    const batch = [
      { jsonrpc: '2.0', method: 'record', params: ['x'] },
      { jsonrpc: '2.0', method: 'record', params: ['y'] },
    ];
    assert.equal(await answerRpc(batch, dispatch, OPTIONS), undefined);
  });

  it('refuses an empty batch, and a batch over the cap with LIMIT_EXCEEDED, without running it', async () => {
    errorOf(await answerRpc([], dispatch, OPTIONS), RPC_ERRORS.INVALID_REQUEST);
    calls.length = 0;
    const over = Array.from({ length: OPTIONS.maxBatchCalls + 1 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'record',
      params: [i],
    }));
    const response = errorOf(await answerRpc(over, dispatch, OPTIONS), RPC_ERRORS.LIMIT_EXCEEDED);
    assert.equal(response.id, null);
    assert.deepEqual(calls, []);
    const atCap = await answerRpc(over.slice(1), dispatch, OPTIONS);
    assert.ok(Array.isArray(atCap) && atCap.length === OPTIONS.maxBatchCalls);
  });

  it('stops running a batch once its answers pass the byte bound, answering the rest LIMIT_EXCEEDED', async () => {
    calls.length = 0;
    const big = 'x'.repeat(3000);
    const answer = await answerRpc(
      [
        { jsonrpc: '2.0', id: 1, method: 'echo', params: [big] },
        { jsonrpc: '2.0', id: 2, method: 'echo', params: [big] },
        { jsonrpc: '2.0', id: 3, method: 'record', params: ['not run'] },
        { jsonrpc: '2.0', method: 'record', params: ['a notification, not run'] },
        { jsonrpc: '2.0', id: 'five', method: 'echo' },
      ],
      dispatch,
      OPTIONS,
    );
    assert.ok(Array.isArray(answer));
    assert.deepEqual(
      answer.map((r) => [r.id, 'result' in r ? 'result' : r.error.code]),
      [
        [1, 'result'],
        [2, 'result'],
        [3, RPC_ERRORS.LIMIT_EXCEEDED],
        ['five', RPC_ERRORS.LIMIT_EXCEEDED],
      ],
    );
    assert.deepEqual(calls, []);
  });

  it('answers text that is not JSON with PARSE_ERROR and a nested batch member as INVALID_REQUEST', async () => {
    for (const text of ['', '{', '{"jsonrpc":"2.0",', 'null garbage', '\u0000'])
      errorOf(await answerRpcText(text, dispatch, OPTIONS), RPC_ERRORS.PARSE_ERROR);
    for (const text of ['null', '"eth_chainId"', '17', 'true'])
      errorOf(await answerRpcText(text, dispatch, OPTIONS), RPC_ERRORS.INVALID_REQUEST);
    const nested = await answerRpcText('[[{"jsonrpc":"2.0","id":1,"method":"echo"}]]', dispatch, OPTIONS);
    assert.ok(Array.isArray(nested) && nested.length === 1 && 'error' in nested[0]);
    assert.equal(nested[0].error.code, RPC_ERRORS.INVALID_REQUEST);
  });

  it('refuses nesting deeper than the bound before parsing, whatever the size', async () => {
    const depth = 1_000_000;
    for (const text of [
      '['.repeat(depth) + ']'.repeat(depth),
      `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      // not JSON past the bound: a parse would say PARSE_ERROR, the scan answers first
      `${'['.repeat(9)} not json`,
    ]) {
      const response = errorOf(await answerRpcText(text, dispatch, OPTIONS), RPC_ERRORS.INVALID_REQUEST);
      assert.ok('error' in response && response.error.message.includes('nested deeper than 8'));
    }
  });

  it('counts only structural brackets: those inside strings, escaped quotes included, do not nest', async () => {
    const request = {
      jsonrpc: '2.0',
      id: 1,
      method: 'echo',
      params: ['[[[[[[[[[[{{{{{{{{{{', '\\"[[[[[[[[[['],
    };
    assert.equal(nestsDeeperThan(JSON.stringify(request), 2), false);
    const response = single(await answerRpcText(JSON.stringify(request), dispatch, OPTIONS));
    assert.deepEqual(response, { jsonrpc: '2.0', id: 1, result: request.params });
    // exactly at the bound is allowed, one more is not
    const atBound = `${'['.repeat(7)}${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo' })}${']'.repeat(7)}`;
    assert.equal(nestsDeeperThan(atBound, 8), false);
    assert.equal(nestsDeeperThan(`[${atBound}]`, 8), true);
  });
});
