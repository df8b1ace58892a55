/** The server side: answers one sync request from the committed chain. */
import { decodeSyncRequest, encodeSyncItem, encodeSyncStatus } from './codec.js';
import type { SyncSource } from './interface.js';

/**
 * The response frames to `requestBytes`: the server's head, then the committed blocks
 * from fromHeight on (at most count, stopping at the head or the first block whose QC is
 * missing). Throws SyncError MALFORMED on a bad request.
 */
export function serveSyncRequest(source: SyncSource, requestBytes: Uint8Array): Uint8Array[] {
  const req = decodeSyncRequest(requestBytes);
  const head = source.headHeight();
  const frames = [encodeSyncStatus(head)];
  const last = Math.min(head, req.fromHeight + req.count - 1);
  for (let h = req.fromHeight; h <= last; h++) {
    const block = source.getBlockBytes(h);
    const qc = source.getCommitQc(h);
    if (!block || !qc) break;
    frames.push(encodeSyncItem(block, qc));
  }
  return frames;
}
