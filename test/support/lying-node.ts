/**
 * A node that lies, for the wallet's tests: an HTTP proxy on 127.0.0.1 (port 0) in front of
 * an honest node's API that forwards every request and forges the answers of the proof
 * routes (and the balance of GET /accounts/:address) in one of the ways a client must
 * catch. The forgeries are plain functions over the JSON of docs/FORMATS.md "Client
 * proofs", so unit tests apply them to proofs built in-process too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeQc, encodeQc, quorumSize } from '../../src/consensus/index.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';

type Json = Record<string, unknown>;

export type Forgery =
  /** A header field of the proven block changed: its id no longer matches what the QCs certify. */
  | 'commit'
  /** The account's balance raised by one unit: the account proof no longer leads to the state root. */
  | 'balance'
  /** The QC completing the 2-chain cut to one signer fewer than a quorum. */
  | 'weak-qc'
  /** The receipt's fee lowered: it is not the one under the receipts root. */
  | 'receipt';

const UNIT = 10n ** 18n;

/** Applies `forgery` to the JSON of a proof route's answer (a tx or an account proof); returns it. */
export function forgeProof(json: unknown, forgery: Forgery, validators: number): unknown {
  const proof = structuredClone(json) as Json;
  const commit = proof.commit as Json;
  if (forgery === 'commit') {
    const header = commit.header as Json;
    const root = fromHex(header.stateRoot as string);
    root[0] ^= 0xff;
    header.stateRoot = toHex(root);
  } else if (forgery === 'weak-qc') {
    const qc = decodeQc(fromHex(commit.childQc as string));
    const keep = quorumSize(validators) - 1;
    commit.childQc = toHex(
      encodeQc({ ...qc, signers: qc.signers.slice(0, keep), signatures: qc.signatures.slice(0, keep) }),
    );
  } else if (forgery === 'balance' && proof.account) {
    const account = proof.account as Json;
    account.balance = (BigInt(account.balance as string) + UNIT).toString();
    account.exists = true;
  } else if (forgery === 'receipt' && proof.receipt) {
    const receipt = proof.receipt as Json;
    receipt.fee = (BigInt(receipt.fee as string) / 2n).toString();
  }
  return proof;
}

export interface LyingNode {
  url: string;
  /** What it forges now; `undefined` makes it an honest proxy. */
  forgery: Forgery | undefined;
  /** Answers it forged so far. */
  forged: number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts a proxy to `targetUrl` (an honest node's API base) that forges with `forgery`. */
export async function startLyingNode(
  targetUrl: string,
  forgery: Forgery | undefined,
  validators: number,
): Promise<LyingNode> {
  const node: LyingNode = { url: '', forgery, forged: 0, close: async () => {} };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = req.method === 'POST' ? (await readBody(req)).toString('utf8') : undefined;
    const upstream = await fetch(`${targetUrl}${req.url}`, {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    let text = await upstream.text();
    const path = (req.url ?? '').split('?')[0];
    const isProof = /\/proof$/.test(path);
    const isAccount = /^\/api\/v1\/accounts\/0x[0-9a-fA-F]{40}$/.test(path);
    if (upstream.status === 200 && node.forgery && (isProof || (isAccount && node.forgery === 'balance'))) {
      const json = JSON.parse(text) as Json;
      if (isProof) text = JSON.stringify(forgeProof(json, node.forgery, validators));
      else json.balance = (BigInt(json.balance as string) + UNIT).toString();
      if (!isProof) text = JSON.stringify(json);
      node.forged++;
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(text);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'UPSTREAM', message: 'the honest node did not answer' }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  node.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return node;
}
