/**
 * The server side: answers one sync request from the committed chain, and the bounds on
 * what one peer's requests may cost (docs/PROTOCOL.md, "Block sync").
 */
import { decodeSyncRequest, encodeSyncItem, encodeSyncStatus } from './codec.js';
import type { SyncSource } from './interface.js';

/**
 * What the sync server lets requests cost. A 10-byte request may ask for 32 blocks, so
 * each peer has a budget of requests and of bytes served per second (with a burst); an
 * answer stops early (a shorter answer is valid: the client asks again, elsewhere or later)
 * once the peer's bytes are spent, and a peer over its request budget is refused. Requests
 * are read within a time limit, and only so many are served at once over all peers.
 */
export interface SyncServerOptions {
  /** A request not fully received (its stream closed for writing) by then is dropped. */
  requestReadTimeoutMs: number;
  /** Requests served at once over all peers; more are refused at once. */
  maxConcurrentServes: number;
  requestsPerSecond: number;
  requestsBurst: number;
  servedBytesPerSecond: number;
  servedBurstBytes: number;
}

export const DEFAULT_SYNC_SERVER_OPTIONS: Readonly<SyncServerOptions> = Object.freeze({
  requestReadTimeoutMs: 2_000,
  maxConcurrentServes: 8,
  requestsPerSecond: 10,
  requestsBurst: 20,
  servedBytesPerSecond: 16 * 1024 * 1024,
  servedBurstBytes: 32 * 1024 * 1024,
} satisfies SyncServerOptions);

/**
 * The response frames to `requestBytes`, produced one at a time so that a block is read
 * only when the one before it was sent: the server's head, then the committed blocks from
 * fromHeight on (at most count, stopping at the head, at the first block whose QC is
 * missing, or when `mayContinue` says no before a block). Throws SyncError MALFORMED on a
 * bad request, at the first step.
 */
export function* syncResponseFrames(
  source: SyncSource,
  requestBytes: Uint8Array,
  mayContinue: () => boolean = () => true,
): Generator<Uint8Array, void, void> {
  const req = decodeSyncRequest(requestBytes);
  const head = source.headHeight();
  yield encodeSyncStatus(head);
  const last = Math.min(head, req.fromHeight + req.count - 1);
  for (let h = req.fromHeight; h <= last; h++) {
    if (!mayContinue()) return;
    const block = source.getBlockBytes(h);
    const qc = source.getCommitQc(h);
    if (!block || !qc) return;
    yield encodeSyncItem(block, qc);
  }
}

/** All the response frames to `requestBytes` at once (syncResponseFrames, unbounded). */
export function serveSyncRequest(source: SyncSource, requestBytes: Uint8Array): Uint8Array[] {
  return [...syncResponseFrames(source, requestBytes)];
}
