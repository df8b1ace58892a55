/**
 * The peers file of `ledger node --peers FILE`: where the other validators and observers of
 * a network listen. It is not part of genesis on purpose: the genesis hash names the chain,
 * and a host that moves must not make a new chain. Every node may have its own copy.
 *
 * Format: one multiaddr a line, ending in /p2p/<peer id>; `#` starts a comment, blank
 * lines are ignored. For example
 *
 *   # alice, validator v0
 *   /dns4/alice.example.org/tcp/7000/p2p/16Uiu2HAm...
 *   /ip4/203.0.113.7/tcp/7000/p2p/16Uiu2HAk...
 *
 * Each peer id must be a validator's or an observer's of the genesis, and appear once: the
 * node keeps one address per peer to redial. The node's own line is skipped, so the whole
 * network can share one file.
 */
import { tryParsePeerId } from '../genesis/index.js';
import { parsePeerAddress } from '../network/index.js';
import { CliError } from './errors.js';

/** The file is read whole; this bounds it (512 peers of a full genesis fit many times over). */
export const MAX_PEERS_FILE_BYTES = 1024 * 1024;

export type PeersFileErrorCode =
  | 'PEERS_FILE_NOT_FOUND'
  | 'PEERS_FILE_TOO_LARGE'
  | 'INVALID_PEER_ADDRESS'
  | 'PEER_NOT_IN_GENESIS'
  | 'DUPLICATE_PEER';

/** A peers file the node cannot use; `line` is 1-based, 0 for the file as a whole. */
export class PeersFileError extends CliError {
  declare readonly code: PeersFileErrorCode;
  readonly line: number;
  constructor(code: PeersFileErrorCode, source: string, line: number, message: string) {
    super(code, `${line > 0 ? `${source}:${line}` : source}: ${message}`);
    this.line = line;
  }
}

export interface PeersFileOptions {
  /** Names the file in error messages. */
  source: string;
  /** Peer ids of the genesis' validators and observers, with their names. */
  allowedPeers: ReadonlyMap<string, string>;
  /** This node's peer id when known; its line is skipped. */
  selfPeerId?: string;
}

/** The multiaddrs to dial, in file order, without this node's own. */
export function parsePeersFile(text: string, options: PeersFileOptions): string[] {
  const { source } = options;
  if (Buffer.byteLength(text) > MAX_PEERS_FILE_BYTES)
    throw new PeersFileError(
      'PEERS_FILE_TOO_LARGE',
      source,
      0,
      `is larger than ${MAX_PEERS_FILE_BYTES} bytes`,
    );
  const firstLineOf = new Map<string, number>();
  const dial: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    const entry = raw.replace(/#.*/, '').trim();
    if (entry === '') continue;
    const error = (code: PeersFileErrorCode, message: string) =>
      new PeersFileError(code, source, line, message);
    if (/\s/.test(entry)) throw error('INVALID_PEER_ADDRESS', 'one multiaddr a line, without blanks');
    let parsed: ReturnType<typeof parsePeerAddress>;
    try {
      parsed = parsePeerAddress(entry);
    } catch {
      throw error('INVALID_PEER_ADDRESS', `${printable(entry)} is not a multiaddr ending in /p2p/<peer id>`);
    }
    const { peerId } = parsed;
    const protocols = parsed.address.getComponents().map((c) => c.name);
    // the node dials over TCP only (src/network/libp2p.ts)
    if (!protocols.includes('tcp'))
      throw error('INVALID_PEER_ADDRESS', `${printable(entry)} has no /tcp/<port>`);
    if (protocols[protocols.length - 1] !== 'p2p')
      throw error('INVALID_PEER_ADDRESS', `${printable(entry)} must end in /p2p/<peer id>`);
    if (tryParsePeerId(peerId)?.toString() !== peerId)
      throw error('INVALID_PEER_ADDRESS', `${printable(peerId)} is not a libp2p peer id in canonical form`);
    if (!options.allowedPeers.has(peerId))
      throw error(
        'PEER_NOT_IN_GENESIS',
        `peer ${peerId} is neither a validator nor an observer of the genesis`,
      );
    const first = firstLineOf.get(peerId);
    if (first !== undefined)
      throw error(
        'DUPLICATE_PEER',
        `peer ${peerId} is listed on line ${first} already (one address per peer)`,
      );
    firstLineOf.set(peerId, line);
    if (peerId !== options.selfPeerId) dial.push(entry);
  }
  return dial;
}

/** Text from the file quoted in a message: bounded and without control characters. */
function printable(text: string): string {
  const shown = text.length > 120 ? `${text.slice(0, 120)}...` : text;
  return JSON.stringify(shown);
}
