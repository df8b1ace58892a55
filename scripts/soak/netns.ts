/**
 * The soak's network when partitions are among its faults: every node in its own Linux
 * network namespace, joined to a bridge in the root namespace by a veth pair (the shape of
 * test/netns/topology.ts, without its delaying relays: nodes dial each other directly).
 * The soak itself sits on the bridge's control address, so its wallet load, samplers and
 * checks reach every node's API at the node's own address, also while the node is cut off.
 *
 * A partition is a pair of nftables drop rules in the cut node's namespace: every packet to
 * or from anything but the control address is dropped and counted, both ways. Sockets are
 * not touched, so TCP connections outlive the cut and the heal (flushing the rules) tests
 * gossip streams and sync recovering on the connections they had, or the node's own
 * decision to close and redial them.
 *
 * Names carry the soak's pid (`lsk<pid>...`), so two soaks on one machine do not collide
 * and a run removes only what runs that no longer live left behind (a soak killed with -9).
 * The subnet is 10.78.<n>.0/24, the first <n> no address on the machine uses yet.
 */
import { addHostNamespace, nft, sh, whyNamespacesUnavailable } from '../../test/netns/topology.js';

const PREFIX = 'lsk';
const TABLE = 'soak';
const SUBNET_BASE = '10.78';
/** Where nodes listen inside their namespaces (each namespace has its own port space). */
export const NETNS_P2P_PORT = 7000;
export const NETNS_API_PORT = 8080;

/** Why this machine cannot partition the soak's nodes, or undefined when it can (root, `ip netns`, nft). */
export async function whyPartitionsUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root (network namespaces and nftables need it)';
  try {
    const reason = await whyNamespacesUnavailable();
    if (reason) return reason;
    await sh('nft', ['--version']);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const ownerOf = (name: string): number | undefined => {
  const match = new RegExp(`^${PREFIX}(\\d+)`).exec(name);
  return match ? Number(match[1]) : undefined;
};

/**
 * Removes what soaks that no longer run left behind: the processes in their namespaces
 * (killed by pid), the namespaces with their veth ends, and their bridges. `alsoPid`'s
 * leftovers go too (this run's own, on its way out).
 */
export async function removeSoakLeftovers(alsoPid?: number): Promise<void> {
  const stale = (name: string) => {
    const owner = ownerOf(name);
    return owner !== undefined && (owner === alsoPid || !isAlive(owner));
  };
  const namespaces = (await sh('ip', ['netns', 'list']).catch(() => ''))
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter(stale);
  for (const ns of namespaces) {
    const pids = await sh('ip', ['netns', 'pids', ns]).catch(() => '');
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
  const links = await sh('ip', ['-o', 'link', 'show']).catch(() => '');
  for (const match of links.matchAll(/^\d+: ([^:@]+)/gm))
    if (stale(match[1])) await sh('ip', ['link', 'del', match[1]]).catch(() => undefined);
}

/** A subnet 10.78.<n>.0/24 no address of this machine is in. */
async function freeSubnet(): Promise<string> {
  const used = await sh('ip', ['-o', '-4', 'addr', 'show']);
  for (let n = 0; n < 255; n++) {
    const subnet = `${SUBNET_BASE}.${n}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error(`no free subnet under ${SUBNET_BASE}.0.0/16`);
}

export interface PartitionEvidence {
  /** Packets the cut's rules dropped (both ways): proof that traffic was there and was cut. */
  droppedPackets: number;
  /** The node's TCP connections to other nodes when it was cut off. */
  connectionsAtCut: string[];
  /** Its connections to other nodes just before the heal (those the node kept open through the cut). */
  connectionsAtHeal: string[];
}

export class SoakNetwork {
  private readonly cutAt = new Map<number, string[]>();

  private constructor(
    readonly owner: number,
    readonly subnet: string,
    readonly hosts: number,
  ) {}

  get controlAddress(): string {
    return `${this.subnet}.254`;
  }

  namespaceOf(host: number): string {
    return `${PREFIX}${this.owner}-n${host}`;
  }

  addressOf(host: number): string {
    return `${this.subnet}.${1 + host}`;
  }

  /** The command line that runs `command` inside host `host`'s namespace (the same pid: ip execs it). */
  wrap(host: number, command: string, args: readonly string[]): { command: string; args: string[] } {
    return { command: 'ip', args: ['netns', 'exec', this.namespaceOf(host), command, ...args] };
  }

  /** Creates the bridge, one namespace per host with its veth pair and address, and each one's nftables table. */
  static async create(hosts: number): Promise<SoakNetwork> {
    const network = new SoakNetwork(process.pid, await freeSubnet(), hosts);
    try {
      await network.build();
    } catch (err) {
      await network.remove();
      throw err;
    }
    return network;
  }

  private async build(): Promise<void> {
    const bridge = `${PREFIX}${this.owner}br`;
    await sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await sh('ip', ['addr', 'add', `${this.controlAddress}/24`, 'dev', bridge]);
    await sh('ip', ['link', 'set', bridge, 'up']);
    for (let i = 0; i < this.hosts; i++) {
      const ns = this.namespaceOf(i);
      // interface names hold at most 15 bytes: lsk + a pid of up to 7 digits + 2
      const outside = `${PREFIX}${this.owner}v${i}`;
      const inside = `${PREFIX}${this.owner}p${i}`;
      await addHostNamespace({ ns, outside, inside, bridge, address: this.addressOf(i) });
      // the cut chains stay empty while the network is whole
      await nft(
        ns,
        `table inet ${TABLE} {
  counter cut_dropped {}
  chain cut_in {}
  chain cut_out {}
  chain input {
    type filter hook input priority 0; policy accept;
    iif "lo" accept
    jump cut_in
  }
  chain output {
    type filter hook output priority 0; policy accept;
    oif "lo" accept
    jump cut_out
  }
}
`,
      );
    }
  }

  /** Cuts host `host` off from every other node, both ways; the control address still reaches it. */
  async cut(host: number): Promise<void> {
    this.cutAt.set(host, await this.connections(host));
    await nft(
      this.namespaceOf(host),
      `reset counter inet ${TABLE} cut_dropped
add rule inet ${TABLE} cut_in ip saddr != ${this.controlAddress} counter name cut_dropped drop
add rule inet ${TABLE} cut_out ip daddr != ${this.controlAddress} counter name cut_dropped drop
`,
    );
  }

  /** Removes host `host`'s cut; what the cut dropped and which connections it had. */
  async heal(host: number): Promise<PartitionEvidence> {
    const ns = this.namespaceOf(host);
    const droppedPackets = await this.droppedPackets(host);
    const connectionsAtHeal = await this.connections(host);
    await nft(ns, `flush chain inet ${TABLE} cut_in\nflush chain inet ${TABLE} cut_out\n`);
    return { droppedPackets, connectionsAtCut: this.cutAt.get(host) ?? [], connectionsAtHeal };
  }

  private async droppedPackets(host: number): Promise<number> {
    const out = await sh('ip', [
      'netns',
      'exec',
      this.namespaceOf(host),
      'nft',
      'list',
      'counter',
      'inet',
      TABLE,
      'cut_dropped',
    ]);
    const match = /packets (\d+)/.exec(out);
    if (!match) throw new Error(`no packet count in: ${out}`);
    return Number(match[1]);
  }

  /** Host `host`'s established TCP connections to other nodes (API clients on the control address left out), as `local peer`. */
  async connections(host: number): Promise<string[]> {
    const out = await sh('ip', [
      'netns',
      'exec',
      this.namespaceOf(host),
      'ss',
      '-Htn',
      'state',
      'established',
    ]);
    return out
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols.length >= 4)
      .map((cols) => [cols[cols.length - 2], cols[cols.length - 1]])
      .filter(([, peer]) => peer.startsWith(`${this.subnet}.`) && !peer.startsWith(`${this.controlAddress}:`))
      .map(([local, peer]) => `${local} ${peer}`)
      .sort();
  }

  /** Removes the namespaces (killing what still runs in them), their veth pairs and the bridge. */
  async remove(): Promise<void> {
    await removeSoakLeftovers(this.owner);
  }
}
