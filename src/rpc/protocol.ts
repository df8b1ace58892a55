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
  options: Pick<RpcOptions, 'maxBatchCalls' | 'maxBatchResponseBytes' | 'maxJsonDepth'>,
  onInternalError?: (err: unknown) => void,
): Promise<RpcResponse | RpcResponse[] | undefined> {
  if (nestsDeeperThan(text, options.maxJsonDepth))
    return errorResponse(
      null,
      RPC_ERRORS.INVALID_REQUEST,
      `invalid request: JSON nested deeper than ${options.maxJsonDepth} levels`,
    );
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return errorResponse(null, RPC_ERRORS.PARSE_ERROR, 'parse error: the body is not JSON');
  }
  return answerRpc(body, dispatch, options, onInternalError);
}

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the arrays and objects of a JSON text nest deeper than `maxDepth`: one pass over
 * the characters, skipping strings, that stops at the first level too deep. Text that is not
 * JSON may pass; JSON.parse refuses it next.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return false;
}

export async function answerRpc(
  body: unknown,
  dispatch: RpcDispatch,
  options: Pick<RpcOptions, 'maxBatchCalls' | 'maxBatchResponseBytes'>,
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
  let bytes = 0;
  // in order, one at a time: a batch costs one client no more concurrency than a request
  for (const call of body) {
    if (bytes > options.maxBatchResponseBytes) {
      // the rest is not run: each call with an id learns why (as geth answers past its cap)
      const id = idOf(call);
      if (id !== undefined)
        answers.push(
          errorResponse(
            id,
            RPC_ERRORS.LIMIT_EXCEEDED,
            `the batch's answers are over ${options.maxBatchResponseBytes} bytes: send the rest again`,
          ),
        );
      continue;
    }
    const answer = await answerOne(call, dispatch, onInternalError);
    if (!answer) continue;
    answers.push(answer);
    // hex and ASCII text: characters are bytes, near enough for a bound
    bytes += JSON.stringify(answer).length;
  }
  return answers.length > 0 ? answers : undefined;
}

/** The id a batch member's answer carries, or undefined for a notification. */
function idOf(call: unknown): RpcId | undefined {
  if (typeof call !== 'object' || call === null || Array.isArray(call)) return null;
  if (!('id' in call)) return undefined;
  const id = (call as { id: unknown }).id;
  return validId(id) ? id : null;
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
