/** Tunables of the wallet, with units in names; the command line sets the ones people need. */
import { InvalidInputError } from '../errors.js';

export interface WalletOptions {
  /** One HTTP request to one node, from connecting to the last byte of the answer. */
  requestTimeoutMs: number;
  /**
   * Bytes of one answer read before the node is refused: a proof of commit of 64 headers
   * with 256-validator QCs is about 2.4 MB as hex; nothing the wallet asks for is larger.
   */
  maxResponseBytes: number;
  /**
   * Passes over the node list before a read gives up on unreachable nodes (a node that
   * lied is not asked again in the same operation).
   */
  retryPasses: number;
  /** Pause before the second pass over the list; doubled before each further one. */
  retryBackoffMs: number;
  /** First pause between polls of a transaction's status while waiting for its commit. */
  pollInitialMs: number;
  /** The pause grows by half each poll up to this, so a slow commit costs few requests. */
  pollMaxMs: number;
  /** How long `send` waits for the commit before COMMIT_TIMEOUT (the tx may still commit). */
  commitTimeoutMs: number;
  /** Gas of a plain transfer: the only kind of transaction on this ledger. */
  transferGasLimit: bigint;
  /** Priority fee (tip) per gas when none is given, in wei. */
  defaultPriorityFeeWei: bigint;
  /** Transactions of a page of `history`. */
  historyPageLimit: number;
  /**
   * How far a node's pending nonce may run ahead of the verified committed one. A node's
   * mempool holds few transactions per sender (64 by default), so a node stating more is
   * pushing the wallet to sign a transfer far ahead, which it could hold and replay once
   * the account's nonce reaches it; such an answer is refused and the next node asked.
   */
  maxPendingNonceGap: bigint;
}

export const DEFAULT_WALLET_OPTIONS: Readonly<WalletOptions> = Object.freeze({
  requestTimeoutMs: 5_000,
  maxResponseBytes: 4 * 1024 * 1024,
  retryPasses: 3,
  retryBackoffMs: 250,
  pollInitialMs: 100,
  pollMaxMs: 1_000,
  commitTimeoutMs: 60_000,
  transferGasLimit: 21_000n,
  defaultPriorityFeeWei: 1_000_000_000n,
  historyPageLimit: 20,
  maxPendingNonceGap: 256n,
});

/** Defaults filled in; throws InvalidInputError INVALID_OPTION on a bound that is not positive. */
export function walletOptions(partial: Partial<WalletOptions> = {}): WalletOptions {
  const options = { ...DEFAULT_WALLET_OPTIONS };
  for (const [key, value] of Object.entries(partial))
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  for (const [name, value] of Object.entries(options)) {
    const ok =
      typeof value === 'bigint' ? value >= 0n : Number.isSafeInteger(value) && (value as number) >= 1;
    if (!ok)
      throw new InvalidInputError('INVALID_OPTION', `wallet option ${name} must be a positive integer`);
  }
  return options;
}
