/**
 * A paced open-loop load: request i is due at start + i / rate, whatever the answers to
 * earlier ones, over a pool of keep-alive connections; its latency runs from when it was
 * due to its response's last byte, so a server that falls behind is charged the wait it
 * caused (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon spends each connection's share of a
 * second's requests back to back from the start of that second, then idles; at 1,000 req/s
 * over 20 connections the server sees 20 requests in flight for most of the second, and
 * latency grows with the connection count (4, 20 and 50 connections gave p99 11, 44 and
 * 287 ms against the same route), which measures the burst rather than the rate.
 */
import { Agent, request } from 'node:http';
import { percentile } from './stats.js';

export interface PacedResult {
  requests: number;
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface PacedOptions {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  base: string;
  /** Paths taken in turn. */
  paths: readonly string[];
  rate: number;
  seconds: number;
  /** Connections the pool may open (requests beyond wait for one). */
  maxConnections: number;
  /** How long to wait for the last answers after the last request is due. */
  drainTimeoutMs?: number;
}

export async function pacedLoad(options: PacedOptions): Promise<PacedResult> {
  const url = new URL(options.base);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxConnections });
  const total = Math.round(options.rate * options.seconds);
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let settled = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const settle = () => {
    if (++settled === total) resolveDone();
  };
  const send = (index: number, dueAt: number) => {
    const req = request(
      { host: url.hostname, port: url.port, path: options.paths[index % options.paths.length], agent },
      (res) => {
        if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) non2xx++;
        res.on('data', () => {});
        res.on('end', () => {
          latencies.push(performance.now() - dueAt);
          settle();
        });
        res.on('error', () => {
          errors++;
          settle();
        });
      },
    );
    req.on('error', () => {
      errors++;
      settle();
    });
    req.end();
  };

  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      while (sent < due) {
        send(sent, start + sent * intervalMs);
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    done,
    new Promise((resolve) => {
      drainTimer = setTimeout(resolve, options.drainTimeoutMs ?? 10_000);
    }),
  ]);
  clearTimeout(drainTimer);
  const elapsedMs = performance.now() - start;
  agent.destroy();
  const unanswered = total - settled;
  return {
    requests: total,
    requestsPerSecond: Math.round((settled / elapsedMs) * 1000),
    non2xx,
    errors: errors + unanswered,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? Math.max(...latencies) : Number.NaN,
  };
}
