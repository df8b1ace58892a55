/**
 * Counters of what the HTTP API refused, for operators (`http` in GET /api/v1/metrics):
 * a client being throttled, a rebinding page knocking, or a flood of malformed requests
 * shows here before it shows anywhere else.
 */
export class ApiMetrics {
  /** Refused requests by their `error` code (RATE_LIMITED, HOST_NOT_ALLOWED, ...). */
  private readonly refused = new Map<string, number>();
  /** Connections closed on arrival: the client's or the server's connection cap. */
  connectionsRefused = 0;
  /** Requests node's parser refused before the app saw them (too long, malformed, too slow). */
  unparsedRequests = 0;

  countRefusal(code: string): void {
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
  }

  snapshot() {
    return {
      refused: Object.fromEntries(this.refused),
      connectionsRefused: this.connectionsRefused,
      unparsedRequests: this.unparsedRequests,
    };
  }
}
