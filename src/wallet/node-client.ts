/**
 * The routes of one node the wallet uses (explorer/server/routes.ts), each answer checked
 * against the shape it documents before anything is read from it. These answers are the
 * node's word only: what must be trusted (balances, commits) comes from the proof routes,
 * which the caller parses and verifies with src/client. An answer of the wrong shape or an
 * unexpected status is a NodeFault, so the node list moves on to the next node.
 */
import { z } from 'zod';
import { printable } from '../client/index.js';
import { toHex } from '../crypto/bytes.js';
import { type Address, toChecksumAddress } from '../crypto/keys.js';
import { type FetchLike, type HttpAnswer, NodeFault, requestJson } from './http.js';
import type { WalletOptions } from './options.js';

const API = '/api/v1';
const DECIMAL = /^(0|[1-9][0-9]{0,79})$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

const Decimal = z
  .string()
  .regex(DECIMAL)
  .transform((s) => BigInt(s));
const Hash = z.string().regex(HASH);
const AddressText = z.string().regex(ADDRESS);
const Count = z.number().int().min(0);

const StatusBody = z.object({ chainId: z.string().regex(DECIMAL), height: Count });
export type NodeStatusView = z.infer<typeof StatusBody>;

const AccountBody = z.object({
  address: AddressText,
  balance: Decimal,
  nonce: Decimal,
  pendingNonce: Decimal,
  exists: z.boolean(),
});
export type AccountView = z.infer<typeof AccountBody>;

const ReceiptBody = z.object({ gasUsed: Decimal, effectiveGasPrice: Decimal, fee: Decimal });

const CommittedTxBody = z.object({
  hash: Hash,
  from: AddressText,
  to: AddressText,
  value: Decimal,
  nonce: Decimal,
  status: z.literal('committed'),
  height: Count,
  index: Count,
  timestampMs: Count,
  receipt: ReceiptBody,
});
export type CommittedTxView = z.infer<typeof CommittedTxBody>;

const TxStatusBody = z.discriminatedUnion('status', [
  // the explorer's answer also has the fields; a node without explorer reads only the place
  z.object({
    hash: Hash,
    status: z.literal('committed'),
    height: Count,
    index: Count,
    value: Decimal.optional(),
    nonce: Decimal.optional(),
  }),
  z.object({ hash: Hash, status: z.literal('pending'), queued: z.literal(true).optional() }),
  z.object({ hash: Hash, status: z.literal('unknown') }),
]);
export type TxStatusView = z.infer<typeof TxStatusBody>;

const TxPageBody = z.object({
  items: z.array(CommittedTxBody).max(1000),
  // printed for the user to pass back: base64url only, never terminal control text
  next: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/)
    .nullable(),
});
export type TxPageView = z.infer<typeof TxPageBody>;

/** A typed refusal; its message is the node's text, so it is made printable before anyone reads it. */
const Refusal = z.object({
  error: z
    .string()
    .max(64)
    .regex(/^[A-Z0-9_]+$/),
  message: z.string().transform((m) => printable(m)),
});
const Accepted = z.object({ hash: Hash, queued: z.literal(true).optional() });
const Outcome = z.union([Accepted, Refusal.extend({ hash: Hash.optional() })]);

/** One transaction's fate at admission: accepted (journaled by the node) or refused with a typed reason. */
export type SubmitOutcome =
  | { accepted: true; hash: string; queued: boolean }
  | { accepted: false; reason: string; message: string };

/** Statuses of POST /txs that carry a typed refusal of one transaction (routes.ts). */
const REFUSAL_STATUSES = new Set([400, 409, 429, 503]);

function outcomeOf(o: z.infer<typeof Outcome>): SubmitOutcome {
  return 'error' in o
    ? { accepted: false, reason: o.error, message: o.message }
    : { accepted: true, hash: o.hash.toLowerCase(), queued: o.queued === true };
}

export class NodeClient {
  constructor(
    /** The node's base URL as the user gave it, without a trailing slash. */
    readonly url: string,
    private readonly options: WalletOptions,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  private request(path: string, post?: { body: unknown }): Promise<HttpAnswer> {
    return requestJson(
      this.fetchImpl,
      this.url,
      `${this.url}${API}${path}`,
      { timeoutMs: this.options.requestTimeoutMs, maxBytes: this.options.maxResponseBytes },
      post,
    );
  }

  private fault(answer: HttpAnswer, what: string): NodeFault {
    const refusal = Refusal.safeParse(answer.body);
    const why = refusal.success ? `: ${refusal.data.error}: ${refusal.data.message}` : '';
    const kind = answer.status >= 500 || answer.status === 429 ? 'unavailable' : 'bad-answer';
    return new NodeFault(kind, this.url, `answered ${what} with HTTP ${answer.status}${why}`);
  }

  private parse<T extends z.ZodType>(schema: T, answer: HttpAnswer, what: string): z.infer<T> {
    if (answer.status !== 200) throw this.fault(answer, what);
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success)
      throw new NodeFault(
        'bad-answer',
        this.url,
        `answered ${what} with a body that is not the documented one (${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message})`,
      );
    return parsed.data;
  }

  async status(): Promise<NodeStatusView> {
    return this.parse(StatusBody, await this.request('/status'), 'GET /status');
  }

  /** The node's unverified view of an account, including the nonce after its pending transactions. */
  async account(address: Address): Promise<AccountView> {
    const a = toChecksumAddress(address);
    return this.parse(AccountBody, await this.request(`/accounts/${a}`), `GET /accounts/${a}`);
  }

  async accountTxs(address: Address, page: { limit: number; cursor?: string }): Promise<TxPageView> {
    const a = toChecksumAddress(address);
    const query = new URLSearchParams({ limit: String(page.limit) });
    if (page.cursor !== undefined) query.set('cursor', page.cursor);
    return this.parse(
      TxPageBody,
      await this.request(`/accounts/${a}/txs?${query}`),
      `GET /accounts/${a}/txs`,
    );
  }

  async tx(hash: Uint8Array): Promise<TxStatusView> {
    const h = toHex(hash);
    return this.parse(TxStatusBody, await this.request(`/txs/${h}`), `GET /txs/${h}`);
  }

  /** The JSON of GET /txs/:hash/proof, unparsed (src/client parses it); undefined on 404. */
  async txProof(hash: Uint8Array): Promise<unknown> {
    const h = toHex(hash);
    const answer = await this.request(`/txs/${h}/proof`);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw this.fault(answer, `GET /txs/${h}/proof`);
    return answer.body;
  }

  /** The JSON of GET /accounts/:address/proof (at `height`, default the node's newest provable one). */
  async accountProof(address: Address, height?: number): Promise<unknown> {
    const a = toChecksumAddress(address);
    const query = height === undefined ? '' : `?height=${height}`;
    const answer = await this.request(`/accounts/${a}/proof${query}`);
    if (answer.status !== 200) throw this.fault(answer, `GET /accounts/${a}/proof${query}`);
    return answer.body;
  }

  /**
   * POST /txs: one transaction as a JSON string, several as an array (one outcome each,
   * in order). A typed refusal is an outcome, not a fault: it is the node's honest answer.
   */
  async submit(raws: readonly Uint8Array[]): Promise<SubmitOutcome[]> {
    const batch = raws.length !== 1;
    const body = batch ? raws.map(toHex) : toHex(raws[0]);
    const answer = await this.request('/txs', { body });
    if (batch) {
      const parsed = this.parse(z.object({ results: z.array(Outcome) }), answer, 'POST /txs');
      if (parsed.results.length !== raws.length)
        throw new NodeFault(
          'bad-answer',
          this.url,
          `answered ${parsed.results.length} results for ${raws.length} transactions`,
        );
      return parsed.results.map(outcomeOf);
    }
    if (answer.status === 202)
      return [outcomeOf(this.parse(Accepted, { ...answer, status: 200 }, 'POST /txs'))];
    if (REFUSAL_STATUSES.has(answer.status)) {
      const refusal = Refusal.safeParse(answer.body);
      // a refusal of the transaction names its reason; the rate limiter's 429 is about the
      // client, not the transaction, so the node list treats it as a node that cannot serve now
      if (refusal.success && refusal.data.error !== 'RATE_LIMITED') return [outcomeOf(refusal.data)];
    }
    throw this.fault(answer, 'POST /txs');
  }
}
