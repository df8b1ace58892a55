/**
 * The soak's client load: wallets that each sign their next nonce, submit it to a node
 * picked in turn, and on no answer (a killed or frozen node) resubmit the SAME bytes to
 * another node, as the wallet does. A transfer counts as acknowledged when a node answered
 * it with the 202 verdict (in a batch: a result with no error): every one of those must
 * end up committed on every node. Signing runs in this process at the offered rate, on
 * the native backend when it loads (a fraction of a core at these rates).
 */
import { toHex } from '../../src/crypto/bytes.js';
import { addressOf } from '../../src/crypto/keys.js';
import { loadNativeBackend, nobleBackend } from '../../src/crypto/verifier.js';
import {
  decodeTransfer,
  encodeTransfer,
  type SignedTransfer,
  signingHashOf,
  type TransferFields,
} from '../../src/tx/index.js';
import type { SoakNode } from './cluster.js';

const GWEI = 1_000_000_000n;
/** Due transfers go out this often, as one batch to one node. */
const TICK_MS = 50;
/** A batch without an answer by then is lost; its transfers go to another node. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Requests awaiting an answer at once; beyond it the generator falls behind (and counts it). */
const MAX_REQUESTS_IN_FLIGHT = 16;
/** A node that did not answer is not asked again for this long. */
const NODE_BACKOFF_MS = 3_000;
const MAX_BATCH_TXS = 1000;

interface Wallet {
  secret: Uint8Array;
  /** 0x hex. */
  address: string;
  to: Uint8Array;
  nonce: bigint;
  /** Signed and not yet acknowledged by any node: resubmitted as is. */
  held?: SignedTransfer;
  /** In a request awaiting its answer. */
  busy: boolean;
}

export interface LoadFigures {
  offeredTps: number;
  /** Transfers acknowledged (202), and per second of load. */
  acknowledged: number;
  acknowledgedTps: number;
  /** Refusals by code (a refused transfer is held and resubmitted). */
  refused: Record<string, number>;
  /** Requests without an answer (timeouts, refused connections). */
  failedRequests: number;
  /** Ticks skipped because MAX_REQUESTS_IN_FLIGHT requests were waiting. */
  ticksBehind: number;
  /** Transfers signed but never acknowledged when the load stopped. */
  unacknowledged: number;
}

export class WalletLoad {
  /** Hashes (0x hex) of acknowledged transfers, in acknowledgement order. */
  readonly acknowledged: string[] = [];
  /** Per sender address (0x hex): the highest acknowledged nonce + 1. */
  readonly acknowledgedNonces = new Map<string, bigint>();
  /** Per sender address: its acknowledged transfers by nonce, with the node that acknowledged each. */
  private readonly acknowledgements = new Map<string, Map<bigint, { hash: string; node: string }>>();
  private readonly wallets: Wallet[];
  private readonly sign: (digest: Uint8Array, secret: Uint8Array) => { r: bigint; s: bigint; yParity: 0 | 1 };
  private readonly refused: Record<string, number> = {};
  private readonly downUntil = new Map<SoakNode, number>();
  private failedRequests = 0;
  private ticksBehind = 0;
  private offered = 0;
  private cursor = 0;
  private target = 0;
  private inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private stoppedAt = 0;

  constructor(
    private readonly chainId: bigint,
    secrets: readonly Uint8Array[],
    private readonly nodes: readonly SoakNode[],
    private readonly tps: number,
  ) {
    this.wallets = secrets.map((secret, i) => ({
      secret,
      address: toHex(addressOf(secret)),
      to: addressOf(secrets[(i + 1) % secrets.length]),
      nonce: 0n,
      busy: false,
    }));
    this.sign = (loadNativeBackend() ?? nobleBackend()).sign;
  }

  start(): void {
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Stops offering transfers and waits for the answers still due. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stoppedAt = performance.now();
    await Promise.all(this.inFlight);
  }

  figures(): LoadFigures {
    const seconds = ((this.stoppedAt || performance.now()) - this.startedAt) / 1000;
    return {
      offeredTps: this.tps,
      acknowledged: this.acknowledged.length,
      acknowledgedTps: Math.round(this.acknowledged.length / Math.max(seconds, 0.001)),
      refused: { ...this.refused },
      failedRequests: this.failedRequests,
      ticksBehind: this.ticksBehind,
      unacknowledged: this.wallets.filter((w) => w.held).length,
    };
  }

  private signNext(wallet: Wallet): SignedTransfer {
    const fields: TransferFields = {
      chainId: this.chainId,
      nonce: wallet.nonce,
      maxPriorityFeePerGas: GWEI,
      maxFeePerGas: 2n * GWEI,
      gasLimit: 21_000n,
      to: wallet.to,
      value: 1n,
    };
    return decodeTransfer(
      encodeTransfer(fields, this.sign(signingHashOf(fields), wallet.secret)),
      this.chainId,
    );
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedAt) * this.tps) / 1000);
    if (due <= this.offered) return;
    if (this.inFlight.size >= MAX_REQUESTS_IN_FLIGHT) {
      this.ticksBehind++;
      return;
    }
    const node = this.pickNode();
    if (!node) return;
    const want = Math.min(due - this.offered, MAX_BATCH_TXS);
    const batch: Array<{ wallet: Wallet; tx: SignedTransfer }> = [];
    for (let seen = 0; seen < this.wallets.length && batch.length < want; seen++) {
      const wallet = this.wallets[this.cursor];
      this.cursor = (this.cursor + 1) % this.wallets.length;
      if (wallet.busy) continue;
      wallet.held ??= this.signNext(wallet);
      wallet.busy = true;
      batch.push({ wallet, tx: wallet.held });
    }
    // every wallet waiting for an answer: the offered rate is not met (figures show it)
    this.offered = due;
    if (batch.length === 0) return;
    const request = this.submit(node, batch).finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }

  private pickNode(): SoakNode | undefined {
    const now = performance.now();
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[this.target++ % this.nodes.length];
      if ((this.downUntil.get(node) ?? 0) <= now) return node;
    }
    return undefined;
  }

  private async submit(
    node: SoakNode,
    batch: ReadonlyArray<{ wallet: Wallet; tx: SignedTransfer }>,
  ): Promise<void> {
    try {
      const res = await fetch(`${node.apiUrl}/api/v1/txs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch.map(({ tx }) => toHex(tx.raw))),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = (await res.json()) as {
        results?: Array<{ hash?: string; error?: string }>;
        error?: string;
      };
      if (res.status !== 200 || !Array.isArray(body.results) || body.results.length !== batch.length) {
        this.count(body.error ?? `HTTP_${res.status}`, batch.length);
        return;
      }
      for (const [i, result] of body.results.entries())
        this.settle(node, batch[i].wallet, batch[i].tx, result.error);
    } catch {
      this.failedRequests++;
      this.downUntil.set(node, performance.now() + NODE_BACKOFF_MS);
    } finally {
      for (const { wallet } of batch) wallet.busy = false;
    }
  }

  /** The acknowledged transfer of `address` at `nonce`, and which node acknowledged it. */
  acknowledgement(address: string, nonce: bigint): { hash: string; node: string } | undefined {
    return this.acknowledgements.get(address)?.get(nonce);
  }

  private settle(node: SoakNode, wallet: Wallet, tx: SignedTransfer, error: string | undefined): void {
    if (error === undefined) {
      const hash = toHex(tx.hash);
      this.acknowledged.push(hash);
      this.acknowledgedNonces.set(wallet.address, tx.nonce + 1n);
      const byNonce = this.acknowledgements.get(wallet.address) ?? new Map();
      this.acknowledgements.set(wallet.address, byNonce);
      byNonce.set(tx.nonce, { hash, node: node.name });
    } else {
      this.count(error, 1);
      // known (another node acknowledged it, its answer lost) or already committed: the
      // wallet moves on; anything else (a full pool, a busy sender) is retried as is
      if (error !== 'ALREADY_KNOWN' && error !== 'NONCE_TOO_LOW') return;
    }
    wallet.held = undefined;
    wallet.nonce = tx.nonce + 1n;
  }

  private count(code: string, n: number): void {
    this.refused[code] = (this.refused[code] ?? 0) + n;
  }
}
