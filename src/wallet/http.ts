/**
 * One JSON request to one node, bounded: a timeout over the whole exchange (connect, wait,
 * body) and a cap on the bytes read, checked as they arrive, so a node that streams
 * forever or answers gigabytes costs the wallet at most maxResponseBytes and
 * requestTimeoutMs. Transport failures become a NodeFault (the node list then tries the
 * next node); what the status code means is the caller's to decide.
 */

export type NodeFaultKind =
  /** Connection refused or reset, DNS failure: nothing answered. */
  | 'unreachable'
  | 'timeout'
  /** More than maxResponseBytes. */
  | 'too-large'
  /** An answer that is not the JSON the route documents. */
  | 'bad-answer'
  /** 5xx, 429 and other statuses that say the node cannot serve now. */
  | 'unavailable';

/** A node that did not give a usable answer; never a verdict on what it said (see ClientError). */
export class NodeFault extends Error {
  constructor(
    readonly kind: NodeFaultKind,
    readonly node: string,
    message: string,
  ) {
    super(message);
    this.name = 'NodeFault';
  }
}

export interface HttpAnswer {
  status: number;
  /** The parsed JSON body. */
  body: unknown;
}

export interface HttpLimits {
  timeoutMs: number;
  maxBytes: number;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

async function readCapped(res: Response, node: string, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new NodeFault(
      'too-large',
      node,
      `answered ${declared} bytes; the wallet reads at most ${maxBytes}`,
    );
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > maxBytes) {
      await reader.cancel();
      throw new NodeFault('too-large', node, `answered more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeTransportError(err: unknown): { kind: NodeFaultKind; message: string } {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return { kind: 'timeout', message: 'timed out' };
  const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return { kind: 'unreachable', message: `unreachable (${cause})` };
}

/**
 * GET or POST `url` and parse the JSON answer. Throws NodeFault on a transport failure,
 * a timeout, an oversized or non-JSON body; any status is returned.
 */
export async function requestJson(
  fetchImpl: FetchLike,
  node: string,
  url: string,
  limits: HttpLimits,
  post?: { body: unknown },
): Promise<HttpAnswer> {
  let res: Response;
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    res = await fetchImpl(url, {
      method: post ? 'POST' : 'GET',
      headers: post
        ? { 'content-type': 'application/json', accept: 'application/json' }
        : { accept: 'application/json' },
      body: post ? JSON.stringify(post.body) : undefined,
      signal,
      redirect: 'error',
    });
  } catch (err) {
    const { kind, message } = describeTransportError(err);
    throw new NodeFault(kind, node, message);
  }
  let text: string;
  try {
    text = await readCapped(res, node, limits.maxBytes);
  } catch (err) {
    if (err instanceof NodeFault) throw err;
    const { kind, message } = describeTransportError(err);
    throw new NodeFault(kind, node, message);
  }
  try {
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  } catch {
    throw new NodeFault('bad-answer', node, `answered HTTP ${res.status} with a body that is not JSON`);
  }
}
