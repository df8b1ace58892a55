/**
 * Per-client limits of the HTTP API: a token bucket of requests per second and a count of
 * requests in progress, keyed by the client's address. The state per client is a few
 * numbers, and the number of clients remembered is bounded, so a client that changes
 * address costs memory only up to that bound.
 */
import { isIPv6 } from 'node:net';

/**
 * The key a client is limited under: its IPv4 address, or the /64 prefix of its IPv6
 * address (one host is routinely given a whole /64, so the full address would let it
 * reset its bucket at will).
 */
export function clientKey(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (mapped) return mapped[1];
  if (!isIPv6(remoteAddress)) return remoteAddress;
  return `${ipv6Groups(remoteAddress).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, as hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  let text = address.split('%')[0].toLowerCase();
  // a trailing dotted IPv4 part stands for the last two groups
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16).toString(16));
}

export interface ClientLimitOptions {
  requestsPerSecond: number;
  burstRequests: number;
  maxConcurrentRequestsPerClient: number;
  maxTrackedClients: number;
}

export type Admission =
  | { admitted: true; release: () => void }
  | { admitted: false; reason: 'rate' | 'concurrency'; retryAfterSeconds: number };

interface ClientState {
  tokens: number;
  refilledAtMs: number;
  inFlight: number;
}

export class ClientLimiter {
  /** In order of last use: the first entries are the first to be forgotten. */
  private readonly clients = new Map<string, ClientState>();

  constructor(
    private readonly options: ClientLimitOptions,
    private readonly nowMs: () => number,
  ) {}

  /** Takes a token and a concurrency slot for `key`, or says why not and when to retry. */
  admit(key: string): Admission {
    const now = this.nowMs();
    const state = this.stateOf(key, now);
    const { requestsPerSecond, burstRequests, maxConcurrentRequestsPerClient } = this.options;
    state.tokens = Math.min(
      burstRequests,
      state.tokens + ((now - state.refilledAtMs) / 1000) * requestsPerSecond,
    );
    state.refilledAtMs = now;
    if (state.inFlight >= maxConcurrentRequestsPerClient)
      return { admitted: false, reason: 'concurrency', retryAfterSeconds: 1 };
    if (state.tokens < 1) {
      const seconds = (1 - state.tokens) / requestsPerSecond;
      return { admitted: false, reason: 'rate', retryAfterSeconds: Math.max(1, Math.ceil(seconds)) };
    }
    state.tokens -= 1;
    state.inFlight++;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        state.inFlight--;
      },
    };
  }

  /** Clients remembered (for tests and metrics). */
  trackedClients(): number {
    return this.clients.size;
  }

  private stateOf(key: string, now: number): ClientState {
    const known = this.clients.get(key);
    if (known) {
      // re-inserted: the map's order is the order of last use
      this.clients.delete(key);
      this.clients.set(key, known);
      return known;
    }
    if (this.clients.size >= this.options.maxTrackedClients) this.forgetOne();
    const fresh: ClientState = { tokens: this.options.burstRequests, refilledAtMs: now, inFlight: 0 };
    this.clients.set(key, fresh);
    return fresh;
  }

  /**
   * Forgets the least recently seen client with no request in progress (a client with one
   * in progress holds a connection, so there are at most maxConnections of those to skip).
   * A forgotten client comes back with a full bucket: the bound trades that for memory.
   */
  private forgetOne(): void {
    for (const [key, state] of this.clients) {
      if (state.inFlight > 0) continue;
      this.clients.delete(key);
      return;
    }
  }
}
