/**
 * The server side: answers one sync request from the committed chain (docs/PROTOCOL.md,
 * "Block sync"); what one peer's requests may cost is bounded by SyncServer (server.ts).
 */
import { decodeSyncRequest, encodeSyncItem, encodeSyncStatus } from './codec.js';
import type { SyncSource } from './interface.js';

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
