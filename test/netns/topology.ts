/**
 * Linux network namespaces for a multi-host test: one namespace per host, each joined to a
 * bridge in the root namespace by a veth pair, on private test addresses (10.77.0.0/24).
 *
 * Addresses: host i lives at 10.77.0.(1+i) inside its namespace. The root namespace holds
 * 10.77.0.254 (the test's own address, from which it reaches the hosts' APIs) and, for each
 * host k, a stand-in address 10.77.0.(101+k): relays for connections to host k listen on
 * it, and relays for connections from host k come out of it. So every namespace sees peer
 * k at one address, and a partition is a pair of nftables rules on that address.
 *
 * Inside each namespace one nftables table `ledgertest` holds:
 * - input: connections to the p2p port from anywhere but a stand-in address are reset
 *   (counted): no host can reach another directly, around the relays;
 * - input: `numgen random mod 100 lt LOSS drop`, the packet loss;
 * - chains `cut_in` / `cut_out`, empty while the network is whole, holding the drops of a
 *   partition.
 *
 * Every name starts with PREFIX, so a run removes what an earlier crashed run left behind.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PREFIX = 'lnt';
export const BRIDGE = `${PREFIX}-br`;
export const SUBNET_PREFIX = '10.77.0';
export const CONTROL_ADDRESS = `${SUBNET_PREFIX}.254`;
const TABLE = 'ledgertest';

export const namespaceOf = (i: number) => `${PREFIX}-ns${i}`;
export const hostAddressOf = (i: number) => `${SUBNET_PREFIX}.${1 + i}`;
export const standInAddressOf = (i: number) => `${SUBNET_PREFIX}.${101 + i}`;

/** Runs a command; fails with its stderr in the message. */
export async function sh(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { timeout: 10_000 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** Runs `nft -f -` with `script` inside namespace `ns` (the soak's partitions use it too). */
export async function nft(ns: string, script: string): Promise<void> {
  await new Promise<void>((ok, fail) => {
    const child = execFile(
      'ip',
      ['netns', 'exec', ns, 'nft', '-f', '-'],
      { timeout: 10_000 },
      (err, _o, stderr) =>
        err ? fail(new Error(`nft in ${ns} failed: ${stderr.trim() || err.message}\n${script}`)) : ok(),
    );
    child.stdin?.end(script);
  });
}

/**
 * Why this machine cannot run namespaced tests, or undefined when it can: tries to add and
 * remove a namespace (it needs CAP_SYS_ADMIN, not only root) and looks for nft.
 */
export async function whyNamespacesUnavailable(): Promise<string | undefined> {
  const probe = `${PREFIX}-probe-${process.pid}`;
  try {
    await sh('ip', ['netns', 'add', probe]);
  } catch (err) {
    return `\`ip netns add\` failed: ${(err as Error).message}`;
  }
  await sh('ip', ['netns', 'del', probe]);
  return undefined;
}

/**
 * Removes every namespace, link and process a run of this test left behind: processes in
 * our namespaces are killed by pid, then the namespaces (with their veth ends) and the bridge.
 */
export async function removeLeftovers(): Promise<void> {
  const list = await sh('ip', ['netns', 'list']).catch(() => '');
  const ours = list
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name.startsWith(`${PREFIX}-`));
  for (const ns of ours) {
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
  for (const match of links.matchAll(/^\d+: ([^:@]+)/gm)) {
    if (match[1].startsWith(`${PREFIX}-`)) await sh('ip', ['link', 'del', match[1]]).catch(() => undefined);
  }
}

export interface TopologyOptions {
  hosts: number;
  /** Port the hosts' p2p listeners use (each namespace has its own port space). */
  p2pPort: number;
  /** Percent of packets each namespace drops on input. */
  lossPercent: number;
}

/**
 * One host: namespace `ns` joined to `bridge` by a veth pair (`outside` on the bridge,
 * `inside` in the namespace, which gets `address`/24), its loopback up.
 */
export async function addHostNamespace(h: {
  ns: string;
  outside: string;
  inside: string;
  bridge: string;
  address: string;
}): Promise<void> {
  await sh('ip', ['netns', 'add', h.ns]);
  await sh('ip', ['link', 'add', h.outside, 'type', 'veth', 'peer', 'name', h.inside]);
  await sh('ip', ['link', 'set', h.inside, 'netns', h.ns]);
  await sh('ip', ['link', 'set', h.outside, 'master', h.bridge]);
  await sh('ip', ['link', 'set', h.outside, 'up']);
  await sh('ip', ['-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', h.inside]);
  await sh('ip', ['-n', h.ns, 'link', 'set', h.inside, 'up']);
  await sh('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
}

/** Creates the bridge, the namespaces, their links and addresses, and the nftables rules. */
export async function createTopology(o: TopologyOptions): Promise<void> {
  await sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await sh('ip', ['addr', 'add', `${CONTROL_ADDRESS}/24`, 'dev', BRIDGE]);
  for (let k = 0; k < o.hosts; k++)
    await sh('ip', ['addr', 'add', `${standInAddressOf(k)}/32`, 'dev', BRIDGE]);
  await sh('ip', ['link', 'set', BRIDGE, 'up']);
  const standIns = Array.from({ length: o.hosts }, (_, k) => standInAddressOf(k)).join(', ');
  for (let i = 0; i < o.hosts; i++) {
    const ns = namespaceOf(i);
    const outside = `${PREFIX}-v${i}`;
    const inside = `${PREFIX}-p${i}`;
    await addHostNamespace({ ns, outside, inside, bridge: BRIDGE, address: hostAddressOf(i) });
    await nft(
      ns,
      `table inet ${TABLE} {
  counter bypass {}
  chain cut_in {}
  chain cut_out {}
  chain input {
    type filter hook input priority 0; policy accept;
    iif "lo" accept
    jump cut_in
    tcp dport ${o.p2pPort} ip saddr != { ${standIns} } counter name bypass reject with tcp reset
    numgen random mod 100 < ${o.lossPercent} drop
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

/** Removes the namespaces (their veth pairs go with them) and the bridge. */
export async function removeTopology(): Promise<void> {
  await removeLeftovers();
}

/**
 * Cuts host `i` off from the hosts `from` (their stand-in addresses), both ways; with
 * `everything` all its traffic but the test's own (the control address) is dropped.
 */
export async function cut(i: number, from: readonly number[], everything = false): Promise<void> {
  const ns = namespaceOf(i);
  const rules = everything
    ? [
        `add rule inet ${TABLE} cut_in ip saddr != ${CONTROL_ADDRESS} drop`,
        `add rule inet ${TABLE} cut_out ip daddr != ${CONTROL_ADDRESS} drop`,
      ]
    : from.flatMap((k) => [
        `add rule inet ${TABLE} cut_in ip saddr ${standInAddressOf(k)} drop`,
        `add rule inet ${TABLE} cut_out ip daddr ${standInAddressOf(k)} drop`,
      ]);
  await nft(ns, `${rules.join('\n')}\n`);
}

/** Removes every cut of host `i`. */
export async function heal(i: number): Promise<void> {
  await nft(namespaceOf(i), `flush chain inet ${TABLE} cut_in\nflush chain inet ${TABLE} cut_out\n`);
}

/** Connections host `i`'s namespace refused for coming around the relays. */
export async function bypassAttempts(i: number): Promise<number> {
  const out = await sh('ip', [
    'netns',
    'exec',
    namespaceOf(i),
    'nft',
    'list',
    'counter',
    'inet',
    TABLE,
    'bypass',
  ]);
  const m = /packets (\d+)/.exec(out);
  return m ? Number(m[1]) : 0;
}

/** The remote addresses of every established TCP connection in host `i`'s namespace (`ss`). */
export async function establishedRemotes(i: number): Promise<string[]> {
  const out = await sh('ip', ['netns', 'exec', namespaceOf(i), 'ss', '-Htn', 'state', 'established']);
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 4)
    .map((cols) => cols[cols.length - 1].replace(/:\d+$/, ''));
}
