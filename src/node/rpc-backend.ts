/**
 * The JSON-RPC backend (src/rpc RpcBackend) over the ledger store (committed data, read up
 * to its announced head as the explorer reads it), the mempool (pending transactions and
 * nonces) and the admission of API transactions. A module of its own, like the explorer's
 * reader: the node constructs it and hands it to the RPC endpoint.
 */

import type { SubmitOutcome } from '../../explorer/server/index.js';
import type { Mempool } from '../mempool/index.js';
import {
  RPC_ERRORS,
  type RpcBackend,
  type RpcBlock,
  RpcError,
  type RpcSubmitOutcome,
  type RpcTransaction,
} from '../rpc/index.js';
import { TRANSFER_GAS } from '../state/index.js';
import { type LedgerStore, receiptOfRecord, StoreError, type TxRecord } from '../store/index.js';
import { decodeTransfer, type VerifiedTransfer, withSender } from '../tx/index.js';

export interface RpcBackendComponents {
  store: LedgerStore;
  mempool: Mempool;
  chainId: bigint;
  baseFeePerGas: bigint;
  maxBlockTxs: number;
  clientVersion: string;
  submit(raws: readonly Uint8Array[]): Promise<SubmitOutcome[]>;
  peerCount(): number;
  syncing(): boolean;
}

const hexBytes = (hex: string) => new Uint8Array(Buffer.from(hex.slice(2), 'hex'));

export class StoreRpcBackend implements RpcBackend {
  readonly chainId: bigint;
  readonly clientVersion: string;
  readonly baseFeePerGas: bigint;
  readonly blockGasLimit: bigint;

  constructor(private readonly c: RpcBackendComponents) {
    this.chainId = c.chainId;
    this.clientVersion = c.clientVersion;
    this.baseFeePerGas = c.baseFeePerGas;
    this.blockGasLimit = TRANSFER_GAS * BigInt(c.maxBlockTxs);
  }

  head(): number {
    return this.c.store.head().height;
  }

  block(id: { height: number } | { hash: Uint8Array }): RpcBlock | undefined {
    const height = 'height' in id ? id.height : this.c.store.getBlockHeight(id.hash);
    if (height === undefined || height < 0 || height > this.head()) return undefined;
    const header = this.c.store.getHeader(height);
    const summary = this.c.store.getSummary(height);
    const bytes = this.c.store.getBlockBytes(height);
    if (!header || !summary || !bytes) return undefined;
    return { header, hash: summary.hash, size: bytes.length, txCount: summary.txCount };
  }

  private records(height: number): TxRecord[] {
    const summary = this.c.store.getSummary(height);
    return summary ? this.c.store.getBlockTxRecords(height, 0, summary.txCount) : [];
  }

  blockTransactions(height: number): VerifiedTransfer[] {
    const block = this.c.store.getBlock(height);
    if (!block) return [];
    const records = this.records(height);
    // the senders are in the records: no signature is recovered again
    return block.transactions.map((raw, i) => withSender(decodeTransfer(raw, this.chainId), records[i].from));
  }

  blockTransactionHashes(height: number): Uint8Array[] {
    return this.records(height).map((r) => r.txHash);
  }

  blockPriorityFees(height: number): bigint[] {
    return this.records(height).map((r) => r.effectiveGasPrice - this.baseFeePerGas);
  }

  transaction(hash: Uint8Array): RpcTransaction | undefined {
    // the store first: between a block's commit and the mempool's cleanup a transaction is in
    // both, and the head then already counts its block
    const record = this.c.store.getTxRecordByHash(hash);
    if (record && record.height <= this.head()) {
      const stored = this.c.store.getTransaction(hash);
      const summary = this.c.store.getSummary(record.height);
      const header = this.c.store.getHeader(record.height);
      if (stored && summary && header)
        return {
          tx: withSender(decodeTransfer(stored.raw, this.chainId), record.from),
          location: {
            blockHash: summary.hash,
            height: record.height,
            timestampMs: header.timestampMs,
            index: record.index,
          },
          receipt: receiptOfRecord(record),
        };
    }
    const pooled = this.c.mempool.pooled(hash);
    return pooled ? { tx: pooled.tx } : undefined;
  }

  account(address: Uint8Array, height: number): { balance: bigint; nonce: bigint } | null {
    if (height === this.head()) return this.c.store.getAccount(address) ?? null;
    try {
      return this.c.store.proveAccountAt(height, address).account;
    } catch (err) {
      if (err instanceof StoreError && err.code === 'NOT_PROVABLE')
        throw new RpcError(
          RPC_ERRORS.SERVER_ERROR,
          `state at block ${height} is not available: ${err.message}`,
        );
      throw err;
    }
  }

  pendingNonce(address: Uint8Array): bigint {
    const committed = this.c.store.getAccount(address)?.nonce ?? 0n;
    const pending = this.c.mempool.pendingNonce(address);
    return pending > committed ? pending : committed;
  }

  async submit(raw: Uint8Array): Promise<RpcSubmitOutcome> {
    const [outcome] = await this.c.submit([raw]);
    if (!('error' in outcome)) return { hash: outcome.hash };
    // a committed transaction sent again: its nonce is used, as Ethereum nodes report it
    // (ALREADY_KNOWN stays for one still pending)
    if (
      outcome.error === 'ALREADY_KNOWN' &&
      outcome.hash &&
      this.c.store.getTxLocation(hexBytes(outcome.hash))
    )
      return { error: 'NONCE_TOO_LOW', message: outcome.message };
    return { error: outcome.error, message: outcome.message };
  }

  peerCount(): number {
    return this.c.peerCount();
  }

  syncing(): boolean {
    return this.c.syncing();
  }

  onHead(listener: (height: number) => void): () => void {
    return this.c.store.onHead((head) => listener(head.height));
  }
}
