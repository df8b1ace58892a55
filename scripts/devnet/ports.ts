/**
 * A check before any node starts that every port the devnet needs is free, so that a
 * second devnet (or any program on those ports) is named at once, port and use, instead
 * of surfacing as one node's refusal after the others have started.
 */
import { createServer } from 'node:net';
import type { PortPlan } from './args.js';

function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** The ports of `validators` validators with what each is for, in start order. */
export function portUses(ports: PortPlan, validators: number): Array<{ port: number; use: string }> {
  const uses: Array<{ port: number; use: string }> = [];
  for (let i = 0; i < validators; i++) {
    uses.push({ port: ports.p2p(i), use: `v${i}'s p2p` }, { port: ports.api(i), use: `v${i}'s API` });
  }
  uses.push({ port: ports.rpc, use: "v0's JSON-RPC" });
  return uses;
}

/** The first port in use, or undefined when all are free. */
export async function firstPortInUse(
  ports: PortPlan,
  validators: number,
): Promise<{ port: number; use: string } | undefined> {
  for (const entry of portUses(ports, validators)) if (!(await isFree(entry.port))) return entry;
  return undefined;
}
