/**
 * Compares two V8 heap snapshots of one process (taken with `--heapsnapshot-signal`, e.g.
 * by `npm run soak -- --heap-snapshot-signal` and `kill -USR2 <pid>`): node count and self
 * size per constructor in each, the constructors that grew most, and for the objects of
 * those constructors that are new in the later snapshot (V8 keeps an object's snapshot id
 * for the life of the isolate), the retainer chains that hold them, summed by self size.
 *
 *   tsx scripts/soak/heap-diff.ts EARLY.heapsnapshot LATE.heapsnapshot [--top 25] [--chains 12] [--depth 5]
 *
 * The snapshot is read as bytes and its number arrays parsed in place: a snapshot of a few
 * hundred MB of heap is larger than the longest string V8 will JSON.parse. The format is
 * V8's (`v8/src/profiler/heap-snapshot-generator.cc`, HeapSnapshotJSONSerializer): a
 * `snapshot.meta` naming the node and edge fields, flat `nodes` and `edges` number arrays
 * and a `strings` table.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

export interface HeapSnapshot {
  nodeFieldCount: number;
  edgeFieldCount: number;
  nodeTypes: string[];
  edgeTypes: string[];
  nodes: Float64Array;
  edges: Float64Array;
  strings: string[];
  /** Offsets of each field within a node / edge record. */
  field: { type: number; name: number; id: number; selfSize: number; edgeCount: number };
  edgeField: { type: number; nameOrIndex: number; toNode: number };
}

/** Index just after `"<key>":[` at or after `from`. */
function arrayStart(buf: Buffer, key: string, from: number): number {
  const at = buf.indexOf(`"${key}":[`, from, 'latin1');
  if (at < 0) throw new Error(`heap snapshot has no "${key}" array`);
  return at + key.length + 4;
}

/** Parses the non-negative integers of a JSON number array starting at `pos` into `out`. */
function parseNumbers(buf: Buffer, pos: number, out: Float64Array): number {
  let n = 0;
  let value = 0;
  let inNumber = false;
  for (; pos < buf.length; pos++) {
    const c = buf[pos];
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      inNumber = true;
    } else {
      if (inNumber) {
        if (n >= out.length) throw new Error('heap snapshot array longer than its count');
        out[n++] = value;
        value = 0;
        inNumber = false;
      }
      if (c === 93) break; // ]
    }
  }
  if (n !== out.length) throw new Error(`heap snapshot array has ${n} numbers, expected ${out.length}`);
  return pos + 1;
}

function parseStrings(buf: Buffer, pos: number): string[] {
  const strings: string[] = [];
  while (pos < buf.length) {
    const c = buf[pos];
    if (c === 93) break;
    if (c !== 34) {
      pos++;
      continue;
    }
    let end = pos + 1;
    while (buf[end] !== 34) end += buf[end] === 92 ? 2 : 1;
    strings.push(JSON.parse(buf.toString('utf8', pos, end + 1)) as string);
    pos = end + 1;
  }
  return strings;
}

export function readHeapSnapshot(path: string): HeapSnapshot {
  const buf = readFileSync(path);
  const nodesAt = arrayStart(buf, 'nodes', 0);
  const header = buf.toString('utf8', 0, buf.lastIndexOf('"nodes":[', nodesAt, 'latin1'));
  const snapshot = JSON.parse(`${header.replace(/,\s*$/, '')}}`).snapshot as {
    meta: Meta;
    node_count: number;
    edge_count: number;
  };
  const { meta } = snapshot;
  const nodeFieldCount = meta.node_fields.length;
  const edgeFieldCount = meta.edge_fields.length;
  const nodes = new Float64Array(snapshot.node_count * nodeFieldCount);
  const afterNodes = parseNumbers(buf, nodesAt, nodes);
  const edges = new Float64Array(snapshot.edge_count * edgeFieldCount);
  parseNumbers(buf, arrayStart(buf, 'edges', afterNodes), edges);
  const strings = parseStrings(buf, arrayStart(buf, 'strings', afterNodes));
  const at = (fields: string[], name: string) => {
    const i = fields.indexOf(name);
    if (i < 0) throw new Error(`heap snapshot lacks the field ${name}`);
    return i;
  };
  return {
    nodeFieldCount,
    edgeFieldCount,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    nodes,
    edges,
    strings,
    field: {
      type: at(meta.node_fields, 'type'),
      name: at(meta.node_fields, 'name'),
      id: at(meta.node_fields, 'id'),
      selfSize: at(meta.node_fields, 'self_size'),
      edgeCount: at(meta.node_fields, 'edge_count'),
    },
    edgeField: {
      type: at(meta.edge_fields, 'type'),
      nameOrIndex: at(meta.edge_fields, 'name_or_index'),
      toNode: at(meta.edge_fields, 'to_node'),
    },
  };
}

/** The grouping DevTools' "Constructor" column uses, roughly: objects by constructor, the rest by type. */
export function classOf(s: HeapSnapshot, node: number): string {
  const base = node * s.nodeFieldCount;
  const type = s.nodeTypes[s.nodes[base + s.field.type]];
  const name = s.strings[s.nodes[base + s.field.name]];
  switch (type) {
    case 'object':
    case 'native':
      return name;
    case 'closure':
      return `${name}()`;
    case 'array':
    case 'hidden':
    case 'object shape':
      return `(${type}) ${name.length > 40 ? `${name.slice(0, 40)}…` : name}`;
    default:
      return `(${type})`;
  }
}

export interface ClassFigures {
  count: number;
  selfBytes: number;
}

export function classFigures(s: HeapSnapshot): Map<string, ClassFigures> {
  const byClass = new Map<string, ClassFigures>();
  const nodeCount = s.nodes.length / s.nodeFieldCount;
  for (let n = 0; n < nodeCount; n++) {
    const key = classOf(s, n);
    const figures = byClass.get(key) ?? { count: 0, selfBytes: 0 };
    figures.count++;
    figures.selfBytes += s.nodes[n * s.nodeFieldCount + s.field.selfSize];
    byClass.set(key, figures);
  }
  return byClass;
}

/** For each node, its strong retainers (node index and edge name), as CSR arrays. */
function retainersOf(s: HeapSnapshot): { first: Uint32Array; from: Uint32Array; edge: Uint32Array } {
  const nodeCount = s.nodes.length / s.nodeFieldCount;
  const edgeCount = s.edges.length / s.edgeFieldCount;
  const weak = s.edgeTypes.indexOf('weak');
  const shortcut = s.edgeTypes.indexOf('shortcut');
  const counts = new Uint32Array(nodeCount + 1);
  const forEachEdge = (visit: (fromNode: number, edgeIndex: number, toNode: number) => void) => {
    let e = 0;
    for (let n = 0; n < nodeCount; n++) {
      const edges = s.nodes[n * s.nodeFieldCount + s.field.edgeCount];
      for (let k = 0; k < edges; k++, e++) {
        const type = s.edges[e * s.edgeFieldCount + s.edgeField.type];
        if (type === weak || type === shortcut) continue;
        visit(n, e, s.edges[e * s.edgeFieldCount + s.edgeField.toNode] / s.nodeFieldCount);
      }
    }
  };
  forEachEdge((_from, _e, to) => {
    counts[to + 1]++;
  });
  for (let n = 0; n < nodeCount; n++) counts[n + 1] += counts[n];
  const fill = counts.slice();
  const from = new Uint32Array(edgeCount);
  const edge = new Uint32Array(edgeCount);
  forEachEdge((fromNode, e, to) => {
    const slot = fill[to]++;
    from[slot] = fromNode;
    edge[slot] = e;
  });
  return { first: counts, from, edge };
}

function edgeName(s: HeapSnapshot, e: number): string {
  const type = s.edgeTypes[s.edges[e * s.edgeFieldCount + s.edgeField.type]];
  const nameOrIndex = s.edges[e * s.edgeFieldCount + s.edgeField.nameOrIndex];
  return type === 'element' || type === 'hidden'
    ? `[${type === 'hidden' ? 'h' : ''}]`
    : s.strings[nameOrIndex];
}

/**
 * Sums the self size of the later snapshot's new objects of `classes` by the chain of
 * first strong retainers above each (up to `depth` links), skipping links through objects
 * of the same class so a long list reads as one chain.
 */
export function retainerChains(
  late: HeapSnapshot,
  isNew: (id: number) => boolean,
  classes: ReadonlySet<string>,
  depth: number,
): Map<string, Map<string, ClassFigures>> {
  const { first, from, edge } = retainersOf(late);
  const nodeCount = late.nodes.length / late.nodeFieldCount;
  const result = new Map<string, Map<string, ClassFigures>>();
  for (let n = 0; n < nodeCount; n++) {
    const base = n * late.nodeFieldCount;
    if (!isNew(late.nodes[base + late.field.id])) continue;
    const cls = classOf(late, n);
    if (!classes.has(cls)) continue;
    const links: string[] = [];
    let at = n;
    const seen = new Set<number>([n]);
    while (links.length < depth) {
      let next = -1;
      let via = '';
      for (let r = first[at]; r < first[at + 1]; r++) {
        const candidate = from[r];
        if (seen.has(candidate)) continue;
        next = candidate;
        via = edgeName(late, edge[r]);
        if (classOf(late, candidate) !== cls) break;
      }
      if (next < 0) break;
      seen.add(next);
      const nextClass = classOf(late, next);
      if (nextClass !== cls) links.push(`${nextClass}.${via}`);
      at = next;
      if (nextClass === '(GC roots)' || nextClass === '') break;
    }
    const chain = links.join(' <- ') || '(no strong retainer)';
    const chains = result.get(cls) ?? new Map<string, ClassFigures>();
    const figures = chains.get(chain) ?? { count: 0, selfBytes: 0 };
    figures.count++;
    figures.selfBytes += late.nodes[base + late.field.selfSize];
    chains.set(chain, figures);
    result.set(cls, chains);
  }
  return result;
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MB`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, chains: { type: 'string' }, depth: { type: 'string' } },
  });
  if (positionals.length !== 2) {
    process.stderr.write('usage: heap-diff.ts EARLY.heapsnapshot LATE.heapsnapshot [--top N] [--chains N]\n');
    process.exitCode = 2;
    return;
  }
  const top = Number(values.top ?? 25);
  const chainsShown = Number(values.chains ?? 12);
  const depth = Number(values.depth ?? 5);

  let early: HeapSnapshot | undefined = readHeapSnapshot(positionals[0]);
  const earlyClasses = classFigures(early);
  // snapshot ids of the early heap: ids are small integers, so a bitmap is compact
  const earlyIds = new Set<number>();
  const nodeCountEarly = early.nodes.length / early.nodeFieldCount;
  for (let n = 0; n < nodeCountEarly; n++)
    earlyIds.add(early.nodes[n * early.nodeFieldCount + early.field.id]);
  const earlyTotal = [...earlyClasses.values()].reduce((sum, f) => sum + f.selfBytes, 0);
  early = undefined;

  const late = readHeapSnapshot(positionals[1]);
  const lateClasses = classFigures(late);
  const lateTotal = [...lateClasses.values()].reduce((sum, f) => sum + f.selfBytes, 0);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `early: ${nodeCountEarly} nodes, ${mb(earlyTotal)}; late: ${late.nodes.length / late.nodeFieldCount} nodes, ${mb(lateTotal)}`,
  );

  const growth = [...lateClasses.entries()]
    .map(([cls, f]) => {
      const before = earlyClasses.get(cls) ?? { count: 0, selfBytes: 0 };
      return {
        cls,
        count: f.count,
        selfBytes: f.selfBytes,
        dCount: f.count - before.count,
        dBytes: f.selfBytes - before.selfBytes,
      };
    })
    .sort((a, b) => b.dBytes - a.dBytes);
  out('\ngrowth by constructor (late count, late self size, change in count, change in self size):');
  for (const g of growth.slice(0, top))
    out(
      `  ${g.cls.padEnd(48)} ${String(g.count).padStart(9)} ${mb(g.selfBytes).padStart(11)} ${(g.dCount >= 0 ? '+' : '') + g.dCount} ${mb(g.dBytes)}`,
    );

  const grown = new Set(
    growth
      .slice(0, Math.min(top, 12))
      .filter((g) => g.dBytes > 0)
      .map((g) => g.cls),
  );
  const chains = retainerChains(late, (id) => !earlyIds.has(id), grown, depth);
  out('\nnew objects of the classes that grew most, by retainer chain (count, self size):');
  for (const cls of grown) {
    const byChain = [...(chains.get(cls) ?? new Map()).entries()].sort(
      (a, b) => b[1].selfBytes - a[1].selfBytes,
    );
    const total = byChain.reduce((sum, [, f]) => sum + f.selfBytes, 0);
    out(`\n${cls}: ${mb(total)} new`);
    for (const [chain, f] of byChain.slice(0, chainsShown))
      out(`  ${String(f.count).padStart(8)} ${mb(f.selfBytes).padStart(10)}  ${chain}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
