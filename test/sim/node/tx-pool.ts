/**
 * Client transfers for the composed simulator, signed once per process: secp256k1 signing
 * costs milliseconds a transaction, so a run draws from this fixed pool (which node gets
 * which transfer, and when, comes from the run's seed) instead of signing its own.
 */
import { sha256 } from '../../../src/crypto/hash.js';
import { type Address, addressOf } from '../../../src/crypto/keys.js';
import { type SignedTransfer, signTransfer } from '../../../src/tx/index.js';

export const SIM_CHAIN_ID = 1337n;
export const GWEI = 1_000_000_000n;
/** Each sender's allocation at genesis: far more than any run spends, so no transfer fails to pay. */
export const SENDER_BALANCE = 10n ** 24n;

export interface TransferPool {
  senders: Address[];
  /** Nonce-major: every sender's nonce 0, then every sender's nonce 1, ... */
  transfers: SignedTransfer[];
}

const pools = new Map<string, TransferPool>();

/** `perSender` transfers from each of `senderCount` senders, nonces 0.. in order (cached). */
export function transferPool(senderCount: number, perSender: number): TransferPool {
  const key = `${senderCount}/${perSender}`;
  const cached = pools.get(key);
  if (cached) return cached;
  const secrets = Array.from({ length: senderCount }, (_, i) =>
    sha256(new TextEncoder().encode(`composed-sim/sender/${i}`)),
  );
  const senders = secrets.map((s) => addressOf(s));
  const transfers: SignedTransfer[] = [];
  for (let nonce = 0; nonce < perSender; nonce++) {
    for (let i = 0; i < senderCount; i++) {
      transfers.push(
        signTransfer(
          {
            chainId: SIM_CHAIN_ID,
            nonce: BigInt(nonce),
            maxPriorityFeePerGas: GWEI,
            maxFeePerGas: 2n * GWEI,
            gasLimit: 21_000n,
            to: senders[(i + 1 + nonce) % senderCount],
            value: BigInt(1000 + nonce),
          },
          secrets[i],
        ),
      );
    }
  }
  const pool = { senders, transfers };
  pools.set(key, pool);
  return pool;
}

/** Client keys of the nonce-gap fill, and the gapped nonces each submits. */
export const GAP_SENDERS = 4;
export const GAPPED_PER_SENDER = 24;

let gapped: TransferPool | undefined;

/**
 * nonceGapFill's transfers: each of GAP_SENDERS keys (funded at genesis) signs odd nonces
 * 1, 3, 5, ... and never nonce 0, so none can ever execute; they sit in the mempools'
 * queued share until it is full or they expire.
 */
export function gappedPool(): TransferPool {
  if (gapped) return gapped;
  const secrets = Array.from({ length: GAP_SENDERS }, (_, i) =>
    sha256(new TextEncoder().encode(`composed-sim/gap-sender/${i}`)),
  );
  const senders = secrets.map((s) => addressOf(s));
  const transfers: SignedTransfer[] = [];
  for (let k = 0; k < GAPPED_PER_SENDER; k++) {
    secrets.forEach((secret, i) => {
      transfers.push(
        signTransfer(
          {
            chainId: SIM_CHAIN_ID,
            nonce: BigInt(2 * k + 1),
            maxPriorityFeePerGas: 3n * GWEI,
            maxFeePerGas: 4n * GWEI,
            gasLimit: 21_000n,
            to: senders[(i + 1) % GAP_SENDERS],
            value: 1n,
          },
          secret,
        ),
      );
    });
  }
  gapped = { senders, transfers };
  return gapped;
}
