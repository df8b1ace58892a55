/**
 * Shared by the explorer API tests: a NodeApi over an ExplorerReader, the real server on
 * port 0, a client that reads any answer (JSON or not), and a checker of answers against
 * the OpenAPI document the server itself serves (ajv, draft 2020-12).
 */
import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  type ApiServerOptions,
  createApiServer,
  type ExplorerAppOptions,
  type ExplorerReader,
  type NodeApi,
  type SubmitOutcome,
} from '../../../explorer/server/index.js';

export function nodeApiOver(explorer: ExplorerReader): NodeApi {
  return {
    status: () => {
      const head = explorer.head();
      return {
        chainId: '7',
        height: head.height,
        headHash: head.hash,
        round: head.height + 1,
        leader: null,
        syncing: false,
        peers: 0,
        mempoolSize: 0,
        role: 'observer',
        peerId: '12D3KooWFakeObserver',
      };
    },
    peers: () => [{ peerId: '12D3KooWFakePeer', role: 'validator', validator: 1, name: 'bob', score: 0 }],
    metrics: () => ({ mempool: { admitted: 1 }, network: null, consensus: null }),
    evidence: () => [],
    transactionStatus: (hash) => ({ hash: `0x${Buffer.from(hash).toString('hex')}`, status: 'unknown' }),
    submitTransactions: async (raws) => raws.map((): SubmitOutcome => ({ hash: `0x${'ab'.repeat(32)}` })),
    explorer,
  };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  body: unknown;
}

export interface RunningApi {
  server: Server;
  port: number;
  errors: unknown[];
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  send(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<Answer>;
  close(): Promise<void>;
}

export async function startApi(
  api: NodeApi,
  server: Partial<ApiServerOptions> = {},
  extra: Partial<ExplorerAppOptions> = {},
): Promise<RunningApi> {
  const errors: unknown[] = [];
  const http = createApiServer(api, {
    server,
    boundHost: '127.0.0.1',
    onError: (e) => errors.push(e),
    ...extra,
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', () => ok()));
  const port = (http.address() as AddressInfo).port;
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    httpRequest(port, method, path, headers, body);
  return {
    server: http,
    port,
    errors,
    send,
    get: (path, headers) => send('GET', path, headers),
    close: () =>
      new Promise<void>((ok) => {
        http.close(() => ok());
        http.closeAllConnections();
      }),
  };
}

export function httpRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        if (/^application\/json/.test(res.headers['content-type'] ?? '')) parsed = JSON.parse(text);
        ok({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
    });
    req.on('error', fail);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${method} ${path} within 5 s`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

type Json = Record<string, unknown>;

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  responses: Record<string, Json>;
}

/**
 * Checks answers against an OpenAPI document: the answer's status must be one the
 * operation documents, and its JSON body must match that status's schema. Remembers which
 * operations it has seen, so a test can require that every one was checked.
 */
export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false });
  private readonly operations: Operation[] = [];
  readonly checked = new Set<string>();

  constructor(readonly document: Json) {
    this.ajv.addSchema({ ...document, $id: 'openapi.json' });
    const paths = document.paths as Record<string, Record<string, Json>>;
    for (const [template, item] of Object.entries(paths))
      for (const [method, op] of Object.entries(item)) {
        const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
        this.operations.push({ method, template, pattern, responses: op.responses as Record<string, Json> });
      }
  }

  /** Every operation as `METHOD template`. */
  allOperations(): string[] {
    return this.operations.map((o) => `${o.method.toUpperCase()} ${o.template}`);
  }

  check(method: string, path: string, answer: Answer): void {
    const pathname = path.split('?')[0];
    const op = this.operations.find((o) => o.method === method.toLowerCase() && o.pattern.test(pathname));
    assert.ok(op, `${method} ${pathname}: no operation in the document`);
    const what = `${method} ${path} -> ${answer.status}`;
    const response = op.responses[String(answer.status)];
    assert.ok(response, `${what}: status not documented (${answer.text.slice(0, 200)})`);
    this.checked.add(`${op.method.toUpperCase()} ${op.template}`);
    const content = response.content as Record<string, { schema: Json }>;
    const type = String(answer.headers['content-type'] ?? '').split(';')[0];
    assert.ok(content[type], `${what}: content type ${type} not documented`);
    const ref = content[type].schema.$ref;
    if (typeof ref !== 'string') return;
    const validate = this.ajv.getSchema(`openapi.json${ref}`);
    assert.ok(validate, `${what}: ${ref} not in the document`);
    assert.ok(
      validate(answer.body),
      `${what}: ${this.ajv.errorsText(validate.errors)} in ${answer.text.slice(0, 300)}`,
    );
  }
}
