/**
 * Small in-process HTTP nodes for the wallet's unit tests, on 127.0.0.1 port 0: an honest
 * one serving real proofs over the client tests' certified chain (test/unit/client/
 * helpers.ts: four validators, blocks 1-5 committed), and whatever a test puts in front
 * of it (a forgery, a 5xx, a mempool that forgets).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { merkleProof, proveAccount, receiptProof } from '../../../src/chain/index.js';
import { accountProofToJson, txProofToJson } from '../../../src/client/index.js';
import { fromHex, toHex } from '../../../src/crypto/bytes.js';
import { keccak256 } from '../../../src/crypto/hash.js';
import { chainOf, type WalletChain } from '../../../src/wallet/index.js';
import { buildChain, commitProofOf, GENESIS } from '../client/helpers.js';

export const BLOCKS = buildChain(6);
/** The newest block blocks 1-6 prove committed (6 is its certified child, one round later). */
export const HEAD = 5;
export const CHAIN: WalletChain = chainOf(GENESIS);

export interface Answer {
  status: number;
  body?: unknown;
  /** Raw text instead of JSON (a malformed answer). */
  text?: string;
}

export type Handler = (
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
) => Answer | Promise<Answer>;

export interface FakeNode {
  url: string;
  /** "METHOD path" of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

export async function startFakeNode(handler: Handler): Promise<FakeNode> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    readJson(req)
      .then((body) => handler(req.method ?? 'GET', url.pathname, url.searchParams, body))
      .then((a) => {
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.text ?? JSON.stringify(a.body ?? {}));
      })
      .catch((err: Error) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'TEST_HANDLER', message: err.message }));
      });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** The fake nodes a test file starts, closed together in its `after`. */
export function fakeNodePool(): { start(handler: Handler): Promise<FakeNode>; closeAll(): Promise<void> } {
  const started: FakeNode[] = [];
  return {
    async start(handler) {
      const n = await startFakeNode(handler);
      started.push(n);
      return n;
    },
    async closeAll() {
      await Promise.all(started.splice(0).map((n) => n.close()));
    },
  };
}

/** A URL on which nothing listens (a server bound to port 0, then closed). */
export async function unreachableUrl(): Promise<string> {
  const node = await startFakeNode(() => ({ status: 200 }));
  await node.close();
  return node.url;
}

/** Where each committed transaction of BLOCKS is: height and index. */
const TX_PLACES = new Map<string, { height: number; index: number }>();
for (let h = 1; h <= HEAD; h++)
  for (const [index, t] of BLOCKS[h].transfers.entries()) TX_PLACES.set(toHex(t.hash), { height: h, index });

export function accountProofJson(address: Uint8Array, height = HEAD): unknown {
  const p = proveAccount(BLOCKS[height].view, address);
  return accountProofToJson({
    commit: commitProofOf(BLOCKS, height),
    account: { address, account: p.account, proof: p.proof },
  });
}

export function txProofJson(hashHex: string): unknown {
  const place = TX_PLACES.get(hashHex);
  if (!place) return undefined;
  const block = BLOCKS[place.height];
  const hashes = block.transfers.map((t) => t.hash);
  return txProofToJson({
    commit: commitProofOf(BLOCKS, place.height),
    inclusion: { txHash: hashes[place.index], proof: merkleProof(hashes, place.index) },
    receipt: { receipt: block.receipts[place.index], proof: receiptProof(block.receipts, place.index) },
  });
}

const ACCOUNT_PROOF = /^\/api\/v1\/accounts\/(0x[0-9a-fA-F]{40})\/proof$/;
const ACCOUNT = /^\/api\/v1\/accounts\/(0x[0-9a-fA-F]{40})$/;
const TX_PROOF = /^\/api\/v1\/txs\/(0x[0-9a-fA-F]{64})\/proof$/;
const TX = /^\/api\/v1\/txs\/(0x[0-9a-fA-F]{64})$/;
const ACCOUNT_TXS = /^\/api\/v1\/accounts\/(0x[0-9a-fA-F]{40})\/txs$/;

/** The committed transfers of BLOCKS that `address` sent or received, newest first, in the API's form. */
function accountTxs(address: Uint8Array) {
  const me = toHex(address);
  const items = [];
  for (let h = HEAD; h >= 1; h--)
    for (let i = BLOCKS[h].transfers.length - 1; i >= 0; i--) {
      const t = BLOCKS[h].transfers[i];
      const r = BLOCKS[h].receipts[i];
      if (toHex(t.from) !== me && toHex(t.to) !== me) continue;
      items.push({
        hash: toHex(t.hash),
        from: toHex(t.from),
        to: toHex(t.to),
        value: t.value.toString(),
        nonce: t.nonce.toString(),
        status: 'committed',
        height: h,
        index: i,
        timestampMs: BLOCKS[h].header.timestampMs,
        receipt: {
          status: 1,
          gasUsed: r.gasUsed.toString(),
          effectiveGasPrice: r.effectiveGasPrice.toString(),
          fee: r.fee.toString(),
        },
      });
    }
  return { items, next: null };
}

/**
 * The honest node over BLOCKS. POST /txs admits anything (202); a transaction it was sent
 * is pending until the test commits it by other means.
 */
export function honest(): Handler {
  const pending = new Set<string>();
  return (method, path, query, body) => {
    let m = ACCOUNT_PROOF.exec(path);
    if (m) {
      const height = query.has('height') ? Number(query.get('height')) : HEAD;
      if (!(height >= 0 && height <= HEAD))
        return { status: 404, body: { error: 'NOT_PROVABLE', message: 'no' } };
      return { status: 200, body: accountProofJson(fromHex(m[1], 20), height) };
    }
    m = ACCOUNT.exec(path);
    if (m) {
      const address = fromHex(m[1], 20);
      const account = BLOCKS[HEAD].view.state.getAccount(address);
      const nonce = (account?.nonce ?? 0n).toString();
      return {
        status: 200,
        body: {
          address: toHex(address),
          balance: (account?.balance ?? 0n).toString(),
          nonce,
          pendingNonce: nonce,
          exists: account !== undefined,
        },
      };
    }
    m = ACCOUNT_TXS.exec(path);
    if (m) return { status: 200, body: accountTxs(fromHex(m[1], 20)) };
    m = TX_PROOF.exec(path);
    if (m) {
      const proof = txProofJson(m[1].toLowerCase());
      return proof
        ? { status: 200, body: proof }
        : { status: 404, body: { error: 'NOT_COMMITTED', message: 'no' } };
    }
    m = TX.exec(path);
    if (m) {
      const hash = m[1].toLowerCase();
      const place = TX_PLACES.get(hash);
      if (place) {
        const t = BLOCKS[place.height].transfers[place.index];
        const fields = { value: t.value.toString(), nonce: t.nonce.toString() };
        return { status: 200, body: { hash, status: 'committed', ...place, ...fields } };
      }
      return { status: 200, body: { hash, status: pending.has(hash) ? 'pending' : 'unknown' } };
    }
    if (method === 'POST' && path === '/api/v1/txs' && typeof body === 'string') {
      const hash = toHex(keccak256(fromHex(body)));
      pending.add(hash);
      return { status: 202, body: { hash } };
    }
    return { status: 404, body: { error: 'NOT_FOUND', message: 'no such API route' } };
  };
}
