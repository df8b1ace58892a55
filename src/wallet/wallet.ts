/**
 * The wallet's operations over a list of nodes, none of them trusted: balances and
 * commits are shown only once src/client has verified their proofs against the genesis
 * validator set (WalletChain); what only a node can say (its pending nonce, its list of an
 * account's transactions) is labelled as that node's word.
 *
 * Sending: build the EIP-1559 transfer (fees from the genesis base fee unless given, the
 * nonce from the node's pending nonce), check the verified balance covers it, sign,
 * submit, then poll with a growing pause until the transaction is committed and its proof
 * (commit, inclusion, receipt) verifies. A node that no longer knows the transaction (a
 * crash, a dropped mempool) gets the same signed bytes again, and so does the next node
 * if that one cannot be reached.
 */
import {
  ClientError,
  type ClientOptions,
  DEFAULT_CLIENT_OPTIONS,
  parseAccountProof,
  parseTxProof,
  type VerifiedCommit,
  verifyCommittedAccount,
  verifyCommittedTx,
} from '../client/index.js';
import { toHex } from '../crypto/bytes.js';
import { type Address, addressOf, toChecksumAddress } from '../crypto/keys.js';
import { systemClock } from '../time/index.js';
import { CURRENCY_SYMBOL, formatUnitsExact, type SignedTransfer, signTransfer } from '../tx/index.js';
import type { WalletChain } from './chain.js';
import { type NodeLie, toWalletError, WalletError } from './errors.js';
import { NodeFault } from './http.js';
import type { NodeClient, SubmitOutcome, TxPageView } from './node-client.js';
import { defaultSleep, type NodeAnswer, type NodeEvent, NodeList } from './nodes.js';
import { type WalletOptions, walletOptions } from './options.js';

export interface WalletComponents {
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  sleep?: (ms: number) => Promise<void>;
  nowMs?: () => number;
  /** Lies and unreachable nodes as they happen (the CLI prints them to stderr). */
  onNodeEvent?: (event: NodeEvent) => void;
}

/** A committed block as the wallet verified it. */
export interface FinalCommit {
  height: number;
  blockHash: string;
  /**
   * When the block was made (its header's time, bound by its hash): a node may serve a
   * genuine proof of an old block, so what was verified says how old it is.
   */
  timestampMs: number;
  /** Names (genesis) of the validators whose QC completed the 2-chain that made it final. */
  signers: string[];
  /** Signers a certificate needs, of `validators`. */
  quorum: number;
  validators: number;
}

export interface VerifiedBalance {
  address: string;
  exists: boolean;
  balance: bigint;
  nonce: bigint;
  commit: FinalCommit;
  /** The node whose proof verified. */
  node: string;
  lies: NodeLie[];
}

export interface NonceView {
  address: string;
  /** The nonce at the verified committed block. */
  committed: bigint;
  commit: FinalCommit;
  /** The next nonce after the node's pending transactions: its word, not verified. */
  pending: bigint;
  node: string;
  lies: NodeLie[];
}

export interface TransferRequest {
  to: Address;
  value: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  /** Default: the node's pending nonce of the sender (never below the verified committed one). */
  nonce?: bigint;
  /** Skip the verified balance check (a prepared batch whose funding is known). */
  skipFundsCheck?: boolean;
}

export interface Submitted {
  hash: string;
  node: string;
  /** Held behind a nonce gap by the node. */
  queued: boolean;
}

/** What the proofs of a committed transaction establish. */
interface ProvenTransfer {
  status: 'final';
  hash: string;
  /** From the verified receipt. */
  from: string;
  to: string;
  /** Its position in the block, as the node named it (consistent with the proofs). */
  index: number;
  commit: FinalCommit;
  receipt: { gasUsed: bigint; effectiveGasPrice: bigint; fee: bigint };
}

export interface FinalTransfer extends ProvenTransfer {
  /** The fields of the bytes this wallet signed (their hash is what the proofs bind). */
  signed?: { value: bigint; nonce: bigint };
  /** Value and nonce as the node states them, for a transaction the wallet did not sign. */
  claimed?: { value: bigint; nonce: bigint };
  /** The node whose proof verified. */
  node: string;
  /** Signed bytes sent again because a node no longer knew the transaction. */
  resubmissions: number;
  lies: NodeLie[];
}

export type TxLookup =
  | { status: 'pending' | 'unknown'; hash: string; node: string; queued?: boolean; lies: NodeLie[] }
  | FinalTransfer;

export interface HistoryPage extends TxPageView {
  /** The node that listed them: a listing is its word; `tx HASH` verifies one. */
  node: string;
}

type PollState =
  | { state: 'pending' }
  | { state: 'resubmitted' }
  /** The node did not know the transaction and refused its bytes again. */
  | { state: 'refused'; node: string; reason: string; message: string }
  | { state: 'final'; transfer: ProvenTransfer };

/**
 * Polls in a row whose resubmission is refused before the wallet believes it: between a
 * commit and the index that reports it, a node may briefly know the transaction neither
 * as pending nor as committed, and then refuse its bytes as NONCE_TOO_LOW.
 */
const REFUSALS_BEFORE_REJECTED = 3;

/**
 * Times one node may take the transaction again during one wait and then forget it: past
 * that it is treated as a node that cannot serve, so the next node of the list is asked
 * (a node that swallows transactions must not hold the wallet until its timeout).
 */
const RESUBMISSIONS_PER_NODE = 3;

export class Wallet {
  readonly nodes: NodeList;
  readonly options: WalletOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly nowMs: () => number;
  private readonly clientOptions: ClientOptions = DEFAULT_CLIENT_OPTIONS;

  constructor(
    nodeUrls: readonly string[],
    readonly chain: WalletChain,
    options: Partial<WalletOptions> = {},
    components: WalletComponents = {},
  ) {
    this.options = walletOptions(options);
    this.sleep = components.sleep ?? defaultSleep;
    this.nowMs = components.nowMs ?? systemClock.nowMs;
    this.nodes = new NodeList(nodeUrls, this.options, {
      fetch: components.fetch,
      sleep: this.sleep,
      onEvent: components.onNodeEvent,
    });
  }

  private finalCommit(commit: VerifiedCommit): FinalCommit {
    const { names, quorum, validatorSet } = this.chain.trust;
    return {
      height: commit.height,
      blockHash: toHex(commit.id),
      timestampMs: commit.header.timestampMs,
      signers: commit.childQc.signers.map((i) => names[i] ?? `validator ${i}`),
      quorum,
      validators: validatorSet.validators.length,
    };
  }

  /**
   * The balance and nonce of `address` (or its absence) at a committed block, verified: at
   * `height` when given (a proof at any other height is a lie), else at the newest height
   * the node proves, which it alone chooses: the answer carries the block's height and time.
   */
  async balance(address: Address, height?: number): Promise<VerifiedBalance> {
    const { trust } = this.chain;
    const who = toChecksumAddress(address);
    const { value, node, lies } = await this.nodes.read(`the balance of ${who}`, async (n) => {
      const proof = parseAccountProof(await n.accountProof(address, height), this.clientOptions);
      const verified = verifyCommittedAccount(
        proof,
        address,
        trust.validatorSet,
        trust.verifier,
        this.clientOptions,
      );
      if (height !== undefined && verified.commit.height !== height)
        throw new ClientError(
          'WRONG_HEIGHT',
          `the account proof is at block ${verified.commit.height}, not at the block ${height} asked for`,
        );
      return verified;
    });
    return {
      address: who,
      exists: value.exists,
      balance: value.balance,
      nonce: value.nonce,
      commit: this.finalCommit(value.commit),
      node,
      lies,
    };
  }

  /** The verified committed nonce and the node's pending nonce of `address`. */
  async nonce(address: Address): Promise<NonceView> {
    const verified = await this.balance(address);
    const { value, node, lies } = await this.pendingNonce(address, verified.nonce);
    return {
      address: verified.address,
      committed: verified.nonce,
      commit: verified.commit,
      pending: value,
      node,
      lies: [...verified.lies, ...lies],
    };
  }

  /**
   * The next nonce of `address` as a node states it (its pending transactions counted),
   * never below the verified `committed` one. A node stating more than maxPendingNonceGap
   * above it is not believed (see the option) and the next node is asked.
   */
  private pendingNonce(address: Address, committed: bigint): Promise<NodeAnswer<bigint>> {
    const gap = this.options.maxPendingNonceGap;
    return this.nodes.read(`the pending nonce of ${toChecksumAddress(address)}`, async (n) => {
      const { pendingNonce } = await n.account(address);
      if (pendingNonce > committed + gap)
        throw new NodeFault(
          'bad-answer',
          n.url,
          `states a pending nonce of ${pendingNonce}, more than ${gap} above the verified committed nonce ${committed}: not believed`,
        );
      return pendingNonce > committed ? pendingNonce : committed;
    });
  }

  /** One page of the committed transactions `address` sent or received, newest first (the node's listing). */
  async history(address: Address, page: { limit?: number; cursor?: string } = {}): Promise<HistoryPage> {
    const limit = page.limit ?? this.options.historyPageLimit;
    const { value, node } = await this.nodes.read(`the history of ${toChecksumAddress(address)}`, (n) =>
      n.accountTxs(address, { limit, cursor: page.cursor }),
    );
    return { ...value, node };
  }

  /**
   * A transaction's status; when committed, its proof of commit, inclusion and receipt,
   * verified. Value and nonce are then the node's word (`claimed`): the proofs bind the
   * transaction's hash, sender, recipient and fee, not the fields of bytes the wallet lacks.
   */
  async tx(hash: Uint8Array): Promise<TxLookup> {
    const { value, node, lies } = await this.nodes.read(`transaction ${toHex(hash)}`, async (n) => {
      const status = await n.tx(hash);
      if (status.status !== 'committed')
        return {
          final: undefined,
          status: status.status,
          queued: 'queued' in status && status.queued === true,
        };
      const final = await this.proveCommitted(n, hash);
      // the node says committed but serves no proof yet: its word alone is not shown as final
      if (!final)
        throw new NodeFault(
          'unavailable',
          n.url,
          'says the transaction is committed but serves no proof of it',
        );
      const claimed =
        status.value !== undefined && status.nonce !== undefined
          ? { value: status.value, nonce: status.nonce }
          : undefined;
      return { final: { ...final, claimed }, status: 'committed' as const, queued: false };
    });
    if (value.final) return { ...value.final, node, resubmissions: 0, lies };
    return {
      status: value.status as 'pending' | 'unknown',
      hash: toHex(hash),
      node,
      ...(value.queued ? { queued: true } : {}),
      lies,
    };
  }

  /** Fetches and verifies the proof of a committed transaction; undefined when the node has none (404). */
  private async proveCommitted(n: NodeClient, hash: Uint8Array): Promise<ProvenTransfer | undefined> {
    const json = await n.txProof(hash);
    if (json === undefined) return undefined;
    const { trust } = this.chain;
    const proof = parseTxProof(json, this.clientOptions);
    const v = verifyCommittedTx(proof, hash, trust.validatorSet, trust.verifier, this.clientOptions);
    return {
      status: 'final',
      hash: toHex(hash),
      from: toChecksumAddress(v.receipt.from),
      to: toChecksumAddress(v.receipt.to),
      index: v.index,
      commit: this.finalCommit(v.commit),
      receipt: {
        gasUsed: v.receipt.gasUsed,
        effectiveGasPrice: v.receipt.effectiveGasPrice,
        fee: v.receipt.fee,
      },
    };
  }

  /**
   * Builds and signs a transfer from `secret`: fees default to twice the genesis base fee
   * plus the default tip; the nonce to the node's pending one. Unless skipped, the
   * verified committed balance must cover value + gas limit x max fee (INSUFFICIENT_FUNDS).
   */
  async prepareTransfer(secret: Uint8Array, request: TransferRequest): Promise<SignedTransfer> {
    const { genesis } = this.chain;
    const baseFee = genesis.params.baseFeePerGas;
    const priority = request.maxPriorityFeePerGas ?? this.options.defaultPriorityFeeWei;
    const maxFee = request.maxFeePerGas ?? 2n * baseFee + priority;
    if (maxFee < baseFee)
      throw new WalletError(
        'INVALID_INPUT',
        `max fee ${maxFee} wei per gas is below the chain's base fee of ${baseFee} wei per gas`,
      );
    if (priority > maxFee)
      throw new WalletError(
        'INVALID_INPUT',
        `priority fee ${priority} wei per gas is above the max fee ${maxFee}`,
      );
    const from = addressOf(secret);
    const gasLimit = this.options.transferGasLimit;
    // the funds check and a nonce of the node's both need the verified account
    const funds =
      !request.skipFundsCheck || request.nonce === undefined ? await this.balance(from) : undefined;
    if (funds && !request.skipFundsCheck) {
      const cost = request.value + gasLimit * maxFee;
      if (funds.balance < cost)
        throw new WalletError(
          'INSUFFICIENT_FUNDS',
          `${funds.address} holds ${formatUnitsExact(funds.balance)} ${CURRENCY_SYMBOL} at block ${funds.commit.height} (verified); ` +
            `value + gas limit x max fee is ${formatUnitsExact(cost)} ${CURRENCY_SYMBOL}`,
          { lies: funds.lies },
        );
    }
    const nonce = request.nonce ?? (await this.pendingNonce(from, funds?.nonce ?? 0n)).value;
    try {
      return signTransfer(
        {
          chainId: genesis.chainId,
          nonce,
          maxPriorityFeePerGas: priority,
          maxFeePerGas: maxFee,
          gasLimit,
          to: request.to,
          value: request.value,
        },
        secret,
      );
    } catch (err) {
      throw new WalletError(
        'INVALID_INPUT',
        `cannot build this transfer: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
  }

  /** Submits signed transactions (one request), in order; outcomes one each. */
  async submitMany(signed: readonly SignedTransfer[]): Promise<NodeAnswer<SubmitOutcome[]>> {
    return this.nodes.read(`${signed.length} transaction(s)`, (n) => n.submit(signed.map((s) => s.raw)));
  }

  /** Submits one signed transaction; a refusal is TX_REJECTED with the node's reason. */
  async submit(signed: SignedTransfer): Promise<Submitted> {
    const hash = toHex(signed.hash);
    const { value, node } = await this.nodes.read(`transaction ${hash}`, (n) => n.submit([signed.raw]));
    const [outcome] = value;
    if (outcome.accepted) return { hash, node, queued: outcome.queued };
    // the same bytes already pending or recently committed: what a resubmission hopes for
    if (outcome.reason === 'ALREADY_KNOWN') return { hash, node, queued: false };
    throw new WalletError(
      'TX_REJECTED',
      `node ${node} refused transaction ${hash}: ${outcome.reason}: ${outcome.message}`,
      {
        reason: outcome.reason,
        hash,
      },
    );
  }

  /**
   * Polls until `signed` is committed and its proof verifies, resubmitting its bytes to a
   * node that no longer knows it. COMMIT_TIMEOUT after `timeoutMs` (it may still commit).
   */
  async waitForCommit(
    signed: SignedTransfer,
    timeoutMs = this.options.commitTimeoutMs,
  ): Promise<FinalTransfer> {
    const hash = toHex(signed.hash);
    const deadline = this.nowMs() + timeoutMs;
    let pause = this.options.pollInitialMs;
    let resubmissions = 0;
    const lies: NodeLie[] = [];
    let lastProblem = '';
    let refusals = 0;
    const resubmittedTo = new Map<string, number>();
    const expired = () => this.nowMs() >= deadline;
    for (;;) {
      try {
        const {
          value,
          node,
          lies: seen,
        } = await this.nodes.read(`transaction ${hash}`, (n) => this.poll(n, signed, resubmittedTo), expired);
        lies.push(...seen);
        if (value.state === 'final')
          return {
            ...value.transfer,
            signed: { value: signed.value, nonce: signed.nonce },
            node,
            resubmissions,
            lies,
          };
        if (value.state === 'resubmitted') resubmissions++;
        refusals = value.state === 'refused' ? refusals + 1 : 0;
        if (value.state === 'refused' && refusals >= REFUSALS_BEFORE_REJECTED)
          throw new WalletError(
            'TX_REJECTED',
            `node ${value.node} no longer knows transaction ${hash} and refuses it again: ${value.reason}: ${value.message}`,
            { reason: value.reason, hash, lies },
          );
      } catch (err) {
        // nodes that cannot be reached now may be back before the deadline; lies end the wait
        if (!(err instanceof WalletError && err.code === 'NODE_UNREACHABLE')) throw err;
        lastProblem = ` (last: ${err.message})`;
      }
      const left = deadline - this.nowMs();
      if (left <= 0)
        throw new WalletError(
          'COMMIT_TIMEOUT',
          `transaction ${hash} was not committed within ${Math.round(timeoutMs / 1000)} s; it may still commit: check with \`wallet tx ${hash}\`${lastProblem}`,
          { hash, lies },
        );
      await this.sleep(Math.min(pause, left));
      pause = Math.min(this.options.pollMaxMs, Math.ceil(pause * 1.5));
    }
  }

  private async poll(
    n: NodeClient,
    signed: SignedTransfer,
    resubmittedTo: Map<string, number>,
  ): Promise<PollState> {
    const status = await n.tx(signed.hash);
    if (status.status === 'pending') return { state: 'pending' };
    if (status.status === 'unknown') {
      const times = resubmittedTo.get(n.url) ?? 0;
      if (times >= RESUBMISSIONS_PER_NODE)
        throw new NodeFault(
          'unavailable',
          n.url,
          `took transaction ${toHex(signed.hash)} ${times} times and forgot it each time`,
        );
      resubmittedTo.set(n.url, times + 1);
      const [outcome] = await n.submit([signed.raw]);
      if (!outcome.accepted && outcome.reason !== 'ALREADY_KNOWN')
        return { state: 'refused', node: n.url, reason: outcome.reason, message: outcome.message };
      return { state: 'resubmitted' };
    }
    const transfer = await this.proveCommitted(n, signed.hash);
    // committed at the node, but its proof is not servable yet: ask again after the pause
    return transfer ? { state: 'final', transfer } : { state: 'pending' };
  }

  /** Sign, submit and (unless `wait` is false) wait for the verified commit. */
  async send(
    secret: Uint8Array,
    request: TransferRequest,
    opts: { wait?: boolean; timeoutMs?: number } = {},
  ): Promise<{ signed: SignedTransfer; submitted: Submitted; final?: FinalTransfer }> {
    try {
      const signed = await this.prepareTransfer(secret, request);
      const submitted = await this.submit(signed);
      if (opts.wait === false) return { signed, submitted };
      const final = await this.waitForCommit(signed, opts.timeoutMs);
      return { signed, submitted, final };
    } catch (err) {
      throw toWalletError(err);
    }
  }
}
