/**
 * The list of nodes a wallet may ask (`--node a,b,c`). Each read goes to the node that
 * last answered well, and moves on down the list when a node is unreachable, cannot serve
 * now, answers something malformed, or serves a proof that does not verify. A node that
 * lied is not asked again within the same read, and the lie is reported (which node, and
 * what was forged) whatever the outcome. Unreachable nodes get `retryPasses` passes with
 * a growing pause between them, then the read fails with every node's reason.
 */
import { ClientError } from '../client/index.js';
import { sleep, systemClock } from '../time/index.js';
import { type NodeLie, WalletError } from './errors.js';
import { type FetchLike, NodeFault } from './http.js';
import { NodeClient } from './node-client.js';
import type { WalletOptions } from './options.js';

/** What happened to one node during a read, for the caller to show as it happens. */
export type NodeEvent =
  | { kind: 'lie'; lie: NodeLie }
  | { kind: 'fault'; node: string; fault: NodeFault['kind']; message: string };

export interface NodeListComponents {
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  onEvent?: (event: NodeEvent) => void;
}

export interface NodeAnswer<T> {
  value: T;
  /** The node that gave the answer. */
  node: string;
  /** Nodes that served a proof that does not verify before an honest one answered. */
  lies: NodeLie[];
}

export const defaultSleep = (ms: number): Promise<void> => sleep(systemClock, ms);

/** Splits `--node` / LEDGER_NODE: comma-separated http(s) URLs; throws WalletError INVALID_INPUT. */
export function parseNodeList(text: string): string[] {
  const urls = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (urls.length === 0) throw new WalletError('INVALID_INPUT', 'no node URL given');
  if (urls.length > 64) throw new WalletError('INVALID_INPUT', `${urls.length} node URLs; at most 64`);
  return urls.map((raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WalletError(
        'INVALID_INPUT',
        `${JSON.stringify(raw)} is not a URL (like http://127.0.0.1:8080)`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new WalletError('INVALID_INPUT', `${raw}: only http and https nodes are supported`);
    if (url.search || url.hash || url.username || url.password)
      throw new WalletError('INVALID_INPUT', `${raw}: a node URL has no query, fragment or credentials`);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });
}

export class NodeList {
  readonly clients: readonly NodeClient[];
  private preferred = 0;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onEvent: (event: NodeEvent) => void;

  constructor(
    urls: readonly string[],
    private readonly options: WalletOptions,
    components: NodeListComponents = {},
  ) {
    if (urls.length === 0) throw new WalletError('INVALID_INPUT', 'no node URL given');
    this.clients = urls.map((u) => new NodeClient(u, options, components.fetch));
    this.sleep = components.sleep ?? defaultSleep;
    this.onEvent = components.onEvent ?? (() => {});
  }

  /** The node reads start at: the last one that answered well. */
  get current(): NodeClient {
    return this.clients[this.preferred];
  }

  /**
   * Runs `ask` against one node after another until one answers. `ask` throws NodeFault
   * for a node that did not answer usably and ClientError for a proof that does not
   * verify; any other error (a WalletError such as a typed refusal) is the answer and ends
   * the read. Fails with PROOF_INVALID when a node lied and none answered honestly, else
   * NODE_UNREACHABLE. `expired` (a caller's deadline) is asked before each node after the
   * first: once true, no further node is tried, so a read overruns it by one request at most.
   */
  async read<T>(
    what: string,
    ask: (node: NodeClient) => Promise<T>,
    expired: () => boolean = () => false,
  ): Promise<NodeAnswer<T>> {
    const lies: NodeLie[] = [];
    const liars = new Set<number>();
    const faults = new Map<number, string>();
    const n = this.clients.length;
    let asked = 0;
    passes: for (let pass = 0; pass < this.options.retryPasses; pass++) {
      if (pass > 0) {
        if (liars.size === n || expired()) break;
        await this.sleep(this.options.retryBackoffMs * 2 ** (pass - 1));
      }
      for (let k = 0; k < n; k++) {
        const i = (this.preferred + k) % n;
        if (liars.has(i)) continue;
        if (asked++ > 0 && expired()) break passes;
        const node = this.clients[i];
        try {
          const value = await ask(node);
          this.preferred = i;
          return { value, node: node.url, lies };
        } catch (err) {
          if (err instanceof ClientError) {
            const lie = { node: node.url, code: err.code, message: err.message };
            lies.push(lie);
            liars.add(i);
            faults.delete(i);
            this.onEvent({ kind: 'lie', lie });
          } else if (err instanceof NodeFault) {
            faults.set(i, err.message);
            this.onEvent({ kind: 'fault', node: node.url, fault: err.kind, message: err.message });
          } else throw err;
        }
      }
    }
    const lieLines = lies.map(
      (l) => `node ${l.node} served a proof that does not verify (${l.code}: ${l.message})`,
    );
    const faultLines = [...faults].map(([i, reason]) => `node ${this.clients[i].url}: ${reason}`);
    if (lies.length > 0)
      throw new WalletError(
        'PROOF_INVALID',
        `no node gave a verifiable answer for ${what}; nothing is shown as final. ${[...lieLines, ...faultLines].join('; ')}`,
        { lies },
      );
    throw new WalletError(
      'NODE_UNREACHABLE',
      `no node answered for ${what} after ${this.options.retryPasses} passes over ${n} node(s): ${faultLines.join('; ')}`,
    );
  }
}
