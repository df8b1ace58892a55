/**
 * `wallet load`: a paced, open-loop load of real transfers, for tests and benchmarks
 * instead of ad-hoc generators. Everything is signed before the clock starts (prepareLoad),
 * so the generator spends its CPU on HTTP, not on signatures, and the validators keep the
 * machine. Transfers go out at the planned rate in small batches whatever the answers
 * (batches in flight are bounded), and commits are seen from each sender's committed
 * nonce: a sender's transfers commit in nonce order, so nonce n committed means all
 * below it are too. Latency is from a batch's submission to the poll that first saw its
 * transfer committed, so it is over-stated by up to one poll interval.
 */
import { toHex } from '../crypto/bytes.js';
import { type Address, addressOf, generateSecretKey } from '../crypto/keys.js';
import { systemClock } from '../time/index.js';
import type { SignedTransfer } from '../tx/index.js';
import { WalletError } from './errors.js';
import { defaultSleep } from './nodes.js';
import type { Wallet } from './wallet.js';

export interface LoadPlan {
  /** Transfers to submit. */
  count: number;
  /** Transfers per second. */
  ratePerSecond: number;
  /** Fresh accounts the transfers are spread over (round robin). */
  senders: number;
  /** Value of each transfer, in wei. */
  valueWei: bigint;
  /** After the last submission, how long to wait for the rest to commit. */
  settleTimeoutMs: number;
}

export const DEFAULT_LOAD_TUNING = Object.freeze({
  /** How often due transfers go out, as one batch. */
  tickMs: 20,
  /** Batches awaiting an answer at once; beyond it the generator waits (and says so). */
  maxBatchesInFlight: 8,
  /** POST /txs takes at most this many in one array. */
  maxBatchTxs: 1000,
  /** How often every sender's committed nonce is read. */
  commitPollMs: 100,
  /** Senders whose nonce is read at once. */
  pollConcurrency: 16,
  maxSenders: 256,
});

export interface PreparedLoad {
  plan: LoadPlan;
  senders: Address[];
  /** In submission order: transfer j is sender j % K's nonce floor(j / K). */
  transfers: SignedTransfer[];
  /** The funding transfers, committed and verified before the load starts. */
  fundingHashes: string[];
}

export interface LoadReport {
  /** Accepted by the node (journaled). */
  submitted: number;
  committed: number;
  /** Refused at submission, by the node's typed reason. */
  rejected: Record<string, number>;
  /** Accepted but not seen committed by the end (or behind a refused nonce of its sender). */
  uncommitted: number;
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  /** From the first submission to the last. */
  submitSeconds: number;
  /** Transfers submitted per second over submitSeconds. */
  achievedRatePerSecond: number;
  node: string;
}

export interface LoadComponents {
  nowMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Progress lines (the CLI writes them to stderr). */
  onProgress?: (line: string) => void;
}

/** Checks a plan's bounds; WalletError INVALID_INPUT. */
export function checkLoadPlan(plan: LoadPlan): void {
  const positive = (n: number) => Number.isSafeInteger(n) && n >= 1;
  if (!positive(plan.count)) throw new WalletError('INVALID_INPUT', '--count must be a positive integer');
  if (!(plan.ratePerSecond > 0 && plan.ratePerSecond <= 100_000))
    throw new WalletError('INVALID_INPUT', '--rate must be above 0 and at most 100000 per second');
  if (!positive(plan.senders) || plan.senders > DEFAULT_LOAD_TUNING.maxSenders)
    throw new WalletError('INVALID_INPUT', `--senders must be from 1 to ${DEFAULT_LOAD_TUNING.maxSenders}`);
  if (plan.valueWei < 0n) throw new WalletError('INVALID_INPUT', 'the value must not be negative');
}

/**
 * Funds `plan.senders` fresh accounts from `funder` (one batch, waited for until its last
 * transfer's commit verifies) and signs every transfer of the load.
 */
export async function prepareLoad(
  wallet: Wallet,
  funder: Uint8Array,
  plan: LoadPlan,
  onProgress: (line: string) => void = () => {},
): Promise<PreparedLoad> {
  checkLoadPlan(plan);
  const { genesis } = wallet.chain;
  const priority = wallet.options.defaultPriorityFeeWei;
  const maxFee = 2n * genesis.params.baseFeePerGas + priority;
  const gas = wallet.options.transferGasLimit;
  const perSender = BigInt(Math.ceil(plan.count / plan.senders));
  const fundWei = perSender * (plan.valueWei + gas * maxFee) + gas * maxFee;

  const secrets = Array.from({ length: plan.senders }, () => generateSecretKey());
  const senders = secrets.map((s) => addressOf(s));
  try {
    // one funding transfer per sender, consecutive nonces of the funder, in one batch;
    // the first is prepared with the verified balance check and the node's pending nonce
    const first = await wallet.prepareTransfer(funder, {
      to: senders[0],
      value: fundWei * BigInt(plan.senders),
    });
    const funding = [
      await wallet.prepareTransfer(funder, {
        to: senders[0],
        value: fundWei,
        nonce: first.nonce,
        skipFundsCheck: true,
      }),
    ];
    for (let i = 1; i < plan.senders; i++)
      funding.push(
        await wallet.prepareTransfer(funder, {
          to: senders[i],
          value: fundWei,
          nonce: first.nonce + BigInt(i),
          skipFundsCheck: true,
        }),
      );
    onProgress(`funding ${plan.senders} sender(s) with ${fundWei} wei each`);
    const { value: outcomes, node } = await wallet.submitMany(funding);
    for (const [i, o] of outcomes.entries())
      if (!o.accepted && o.reason !== 'ALREADY_KNOWN')
        throw new WalletError(
          'TX_REJECTED',
          `node ${node} refused funding transfer ${i}: ${o.reason}: ${o.message}`,
          {
            reason: o.reason,
          },
        );
    // the funder's transfers commit in nonce order: the last one final means all are
    await wallet.waitForCommit(funding[funding.length - 1]);

    onProgress(`signing ${plan.count} transfer(s)`);
    const transfers: SignedTransfer[] = [];
    for (let j = 0; j < plan.count; j++) {
      const s = j % plan.senders;
      transfers.push(
        await wallet.prepareTransfer(secrets[s], {
          to: senders[(s + 1) % plan.senders],
          value: plan.valueWei,
          nonce: BigInt(Math.floor(j / plan.senders)),
          maxFeePerGas: maxFee,
          maxPriorityFeePerGas: priority,
          skipFundsCheck: true,
        }),
      );
    }
    return { plan, senders, transfers, fundingHashes: funding.map((f) => toHex(f.hash)) };
  } finally {
    for (const s of secrets) s.fill(0);
  }
}

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/** Submits a prepared load at its rate and reports what committed and how fast. */
export async function runLoad(
  wallet: Wallet,
  load: PreparedLoad,
  components: LoadComponents = {},
): Promise<LoadReport> {
  const now = components.nowMs ?? systemClock.monotonicMs;
  const sleep = components.sleep ?? defaultSleep;
  const progress = components.onProgress ?? (() => {});
  const tuning = DEFAULT_LOAD_TUNING;
  const { plan, transfers, senders } = load;
  const k = senders.length;
  const n = transfers.length;

  const submittedAt = new Array<number>(n).fill(-1);
  /** Per sender: lowest refused nonce (its later transfers can never commit). */
  const blockedFrom = new Array<number>(k).fill(Number.POSITIVE_INFINITY);
  /** Per sender: committed nonce seen so far. */
  const committedNonce = new Array<number>(k).fill(0);
  const latencies: number[] = [];
  const rejected: Record<string, number> = {};
  let accepted = 0;
  let sent = 0;
  let inFlight = 0;
  let node = wallet.nodes.current.url;
  let failure: unknown;

  const sendBatch = async (from: number, to: number) => {
    inFlight++;
    const at = now();
    try {
      const answer = await wallet.submitMany(transfers.slice(from, to));
      node = answer.node;
      for (const [i, o] of answer.value.entries()) {
        const j = from + i;
        if (o.accepted || o.reason === 'ALREADY_KNOWN') {
          submittedAt[j] = at;
          accepted++;
        } else {
          rejected[o.reason] = (rejected[o.reason] ?? 0) + 1;
          const s = j % k;
          blockedFrom[s] = Math.min(blockedFrom[s], Math.floor(j / k));
        }
      }
    } catch (err) {
      failure ??= err;
    } finally {
      inFlight--;
    }
  };

  /** Reads every sender's committed nonce once and records the transfers it shows committed. */
  const pollCommits = async () => {
    for (let start = 0; start < k; start += tuning.pollConcurrency) {
      const chunk = senders.slice(start, start + tuning.pollConcurrency);
      const views = await Promise.all(
        chunk.map((a) => wallet.nodes.current.account(a).catch(() => undefined)),
      );
      const seenAt = now();
      for (const [c, view] of views.entries()) {
        if (!view) continue;
        const s = start + c;
        // the node's word: past this sender's own transfers it counts nothing, so a node
        // stating a nonce without end costs no more than the load itself
        const own = Math.ceil((n - s) / k);
        const nonce = view.nonce < BigInt(own) ? Number(view.nonce) : own;
        for (let q = committedNonce[s]; q < nonce; q++) {
          const j = q * k + s;
          if (j < n && submittedAt[j] >= 0) latencies.push(seenAt - submittedAt[j]);
        }
        if (nonce > committedNonce[s]) committedNonce[s] = nonce;
      }
    }
  };

  const committedCount = () => latencies.length;
  /** Accepted transfers that can still commit: none of their sender's lower nonces was refused. */
  const expected = () => {
    let e = 0;
    for (let j = 0; j < n; j++) if (submittedAt[j] >= 0 && Math.floor(j / k) < blockedFrom[j % k]) e++;
    return e;
  };

  const t0 = now();
  let lastPoll = t0;
  let lastReport = t0;
  let lastSubmitAt = t0;
  const pending: Promise<void>[] = [];
  while (sent < n) {
    if (failure) break;
    const due = Math.min(n, Math.floor(((now() - t0) * plan.ratePerSecond) / 1000) + 1);
    if (due > sent && inFlight < tuning.maxBatchesInFlight) {
      const to = Math.min(due, sent + tuning.maxBatchTxs);
      pending.push(sendBatch(sent, to));
      sent = to;
      lastSubmitAt = now();
    }
    if (now() - lastPoll >= tuning.commitPollMs) {
      lastPoll = now();
      await pollCommits();
    }
    if (now() - lastReport >= 1000) {
      lastReport = now();
      progress(`submitted ${sent}/${n}, committed ${committedCount()}`);
    }
    await sleep(tuning.tickMs);
  }
  await Promise.all(pending);
  const submitSeconds = (lastSubmitAt - t0) / 1000;
  if (failure && accepted === 0) throw failure;

  const settleDeadline = now() + plan.settleTimeoutMs;
  while (committedCount() < expected() && now() < settleDeadline) {
    await sleep(tuning.commitPollMs);
    await pollCommits();
    if (now() - lastReport >= 1000) {
      lastReport = now();
      progress(`waiting: committed ${committedCount()} of ${expected()}`);
    }
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (x: number | null) => (x === null ? null : Math.round(x));
  return {
    submitted: accepted,
    committed: committedCount(),
    rejected,
    uncommitted: accepted - committedCount(),
    latencyMs: {
      p50: round(percentile(sorted, 0.5)),
      p99: round(percentile(sorted, 0.99)),
      max: round(percentile(sorted, 1)),
    },
    submitSeconds: Math.round(submitSeconds * 1000) / 1000,
    achievedRatePerSecond: submitSeconds > 0 ? Math.round(sent / submitSeconds) : sent,
    node,
  };
}
