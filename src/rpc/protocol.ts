/**
 * JSON-RPC 2.0 envelopes (https://www.jsonrpc.org/specification): one request or a batch
 * (an array in, an array out, answers matched by id), notifications (no id: no answer), and
 * an error object for every failure. This is the one gate every RPC input passes, over HTTP
 * and WebSocket alike; a handler's unexpected failure is an INTERNAL error without detail.
 */
import { RPC_ERRORS, RpcError } from './errors.js';
import type { RpcMethod } from './methods.js';
import type { RpcOptions } from './options.js';

export type RpcId = string | number | null;

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export type RpcResponse =
  | { jsonrpc: '2.0'; id: RpcId; result: unknown }
  | { jsonrpc: '2.0'; id: RpcId; error: RpcErrorObject };

/** Longest method name read: every method here is far shorter. */
const MAX_METHOD_CHARS = 64;

const errorResponse = (id: RpcId, code: number, message: string, data?: unknown): RpcResponse => ({
  jsonrpc: '2.0',
  id,
  error: data === undefined ? { code, message } : { code, message, data },
});

/** Methods by name; `lookup` may add per-connection ones (eth_subscribe on a WebSocket). */
export type RpcDispatch = (method: string) => RpcMethod | undefined;

/**
 * Parses a request body (bytes or text) and answers it: a response, an array of them for a
 * batch, or undefined when there is nothing to send (only notifications).
 */
export async function answerRpcText(
  text: string,
  dispatch: RpcDispatch,
  options: Pick<RpcOptions, 'maxBatchCalls'>,
  onInternalError?: (err: unknown) => void,
): Promise<RpcResponse | RpcResponse[] | undefined> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // also a nesting too deep for the parser (RangeError)
    return errorResponse(null, RPC_ERRORS.PARSE_ERROR, 'parse error: the body is not JSON');
  }
  return answerRpc(body, dispatch, options, onInternalError);
}

export async function answerRpc(
  body: unknown,
  dispatch: RpcDispatch,
  options: Pick<RpcOptions, 'maxBatchCalls'>,
  onInternalError?: (err: unknown) => void,
): Promise<RpcResponse | RpcResponse[] | undefined> {
  if (!Array.isArray(body)) return answerOne(body, dispatch, onInternalError);
  if (body.length === 0)
    return errorResponse(null, RPC_ERRORS.INVALID_REQUEST, 'invalid request: an empty batch');
  if (body.length > options.maxBatchCalls)
    return errorResponse(
      null,
      RPC_ERRORS.LIMIT_EXCEEDED,
      `batch of ${body.length} calls; at most ${options.maxBatchCalls}`,
    );
  const answers: RpcResponse[] = [];
  // in order, one at a time: a batch costs one client no more concurrency than a request
  for (const call of body) {
    const answer = await answerOne(call, dispatch, onInternalError);
    if (answer) answers.push(answer);
  }
  return answers.length > 0 ? answers : undefined;
}

function validId(id: unknown): id is RpcId {
  return (
    id === null ||
    (typeof id === 'string' && id.length <= 256) ||
    (typeof id === 'number' && Number.isFinite(id))
  );
}

async function answerOne(
  call: unknown,
  dispatch: RpcDispatch,
  onInternalError?: (err: unknown) => void,
): Promise<RpcResponse | undefined> {
  if (typeof call !== 'object' || call === null || Array.isArray(call))
    return errorResponse(null, RPC_ERRORS.INVALID_REQUEST, 'invalid request: not a JSON-RPC request object');
  const c = call as Record<string, unknown>;
  const hasId = 'id' in c;
  if (hasId && !validId(c.id))
    return errorResponse(
      null,
      RPC_ERRORS.INVALID_REQUEST,
      'invalid request: id must be a string, a number or null',
    );
  const id = hasId ? (c.id as RpcId) : null;
  if (c.jsonrpc !== '2.0')
    return errorResponse(id, RPC_ERRORS.INVALID_REQUEST, 'invalid request: jsonrpc must be "2.0"');
  if (typeof c.method !== 'string' || c.method.length === 0 || c.method.length > MAX_METHOD_CHARS)
    return errorResponse(id, RPC_ERRORS.INVALID_REQUEST, 'invalid request: method must be a method name');
  const params = c.params === undefined ? [] : c.params;
  const method = dispatch(c.method);
  let answer: RpcResponse;
  if (!method)
    answer = errorResponse(
      id,
      RPC_ERRORS.METHOD_NOT_FOUND,
      `the method ${c.method} does not exist/is not available`,
    );
  else if (!Array.isArray(params))
    answer = errorResponse(id, RPC_ERRORS.INVALID_PARAMS, 'params must be an array (positional parameters)');
  else {
    try {
      answer = { jsonrpc: '2.0', id, result: await method(params) };
    } catch (err) {
      if (err instanceof RpcError) answer = errorResponse(id, err.code, err.message, err.data);
      else {
        onInternalError?.(err);
        answer = errorResponse(id, RPC_ERRORS.INTERNAL, 'internal error');
      }
    }
  }
  // a notification is answered by nothing, whatever its outcome
  return hasId ? answer : undefined;
}
