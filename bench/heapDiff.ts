/**
 * What a page's heap gained between two moments: the objects of a later V8 heap snapshot that an
 * earlier one of the same page did not have (V8 keeps an object's snapshot id for its life, as
 * DevTools' "objects allocated between snapshots" does), grouped by node type and name, each group
 * with its count, its self size and the retainer path of one of its objects.
 * Used by `npm run bench:heap-diff` (bench/heapDiffRun.ts) to find what grows in the soak's heap.
 * Growth that replaces its objects as it grows (an array's backing store, a hash table: each larger
 * store is a new object, so none is both new and kept) is what the ids cannot see; `classChanges`
 * sees it: the page's self sizes summed per group in each snapshot, the later less the earlier.
 */
import { forEachEdge, nodeSources, type Snapshot } from "./heapSnapshot.ts";

export interface GrowthGroup {
  type: string;
  name: string;
  count: number;
  bytes: number;
  /** One object of the group, retained by ... up to the root (edge names in brackets). */
  path: string;
}

/** The ids of a snapshot's nodes. */
export function nodeIds(s: Snapshot): Set<number> {
  const f = s.snapshot.meta.node_fields;
  const id = f.indexOf("id");
  const out = new Set<number>();
  for (let i = 0; i < s.nodes.length; i += f.length) out.add(s.nodes[i + id]);
  return out;
}

/** Each node's strong retainers (weak and shortcut edges left out): how many, the first found and
 * that edge as a path shows it (`[i]` for an element, `.name` for a property or internal field). */
function retainers(s: Snapshot) {
  const nf = s.snapshot.meta.node_fields.length;
  const count = s.nodes.length / nf;
  const first = new Int32Array(count).fill(-1);
  const many = new Uint32Array(count);
  const edge: string[] = [];
  forEachEdge(s, (from, to, kind, name) => {
    if (kind === "weak" || kind === "shortcut") return;
    if (many[to]++ > 0) return;
    first[to] = from;
    edge[to] = kind === "element" || kind === "hidden" ? name : `.${name}`;
  });
  return { first, many, edge };
}

const STRINGS = new Set(["string", "concatenated string", "sliced string"]);

function hasEdges(s: Snapshot, who: string): void {
  const m = s.snapshot.meta;
  if (!s.edges || !m.edge_fields || !m.edge_types) throw new Error(`heapDiff: the ${who} snapshot has no edges`);
}

/** `type:name` of a node (the name cut to 60 characters), and its path up to the root through first
 * retainers (12 steps at most). */
function labels(s: Snapshot, ret: ReturnType<typeof retainers>) {
  const m = s.snapshot.meta;
  const nf = m.node_fields.length;
  const [T, N] = ["type", "name"].map((k) => m.node_fields.indexOf(k));
  const label = (n: number) => `${m.node_types[0][s.nodes[n * nf + T]]}:${s.strings[s.nodes[n * nf + N]].slice(0, 60)}`;
  /** As `label`, but a string's text left out: strings are grouped by kind, not by what they say. */
  const kind = (n: number) => {
    const type = m.node_types[0][s.nodes[n * nf + T]];
    return STRINGS.has(type) ? `${type}:` : label(n);
  };
  const pathOf = (n: number) => {
    const parts: string[] = [label(n)];
    const seen = new Set<number>([n]);
    for (let cur = n, depth = 0; depth < 12 && ret.first[cur] >= 0; depth++) {
      const r = ret.first[cur];
      parts.push(`${ret.edge[cur]} <- ${label(r)}`);
      if (seen.has(r)) break;
      seen.add(r);
      cur = r;
    }
    return parts.join(" ");
  };
  return { label, kind, pathOf };
}

/** Objects of `after` whose ids `select` picks, grouped by type and name, largest first. */
export function growth(after: Snapshot, select: (id: number) => boolean, top = 25): GrowthGroup[] {
  hasEdges(after, "later");
  const m = after.snapshot.meta;
  const nf = m.node_fields.length;
  const [T, N, ID, S] = ["type", "name", "id", "self_size"].map((k) => m.node_fields.indexOf(k));
  const ntypes = m.node_types[0];
  const count = after.nodes.length / nf;
  const { pathOf } = labels(after, retainers(after));
  const groups = new Map<string, { type: string; name: string; count: number; bytes: number; sample: number }>();
  for (let n = 0; n < count; n++) {
    if (!select(after.nodes[n * nf + ID])) continue;
    const type = ntypes[after.nodes[n * nf + T]];
    const name = after.strings[after.nodes[n * nf + N]].slice(0, 80);
    const key = `${type}\u0000${name}`;
    const g = groups.get(key) ?? { type, name, count: 0, bytes: 0, sample: n };
    g.count++;
    g.bytes += after.nodes[n * nf + S];
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top)
    .map((g) => ({ type: g.type, name: g.name, count: g.count, bytes: g.bytes, path: pathOf(g.sample) }));
}

export interface ClassChange {
  /** `type:name` (a string's text left out), and for an object with one strong retainer (a backing store, a hash table, a
   * closure's context) the edge and its retainer's `type:name`: such an object is grouped with what
   * holds it, so an array that grows shows as its owner's. */
  group: string;
  countBefore: number;
  countAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  /** The largest object of the group in the later snapshot, retained by ... up to the root. */
  path: string;
}

/** The page's objects (`nodeSources`: not code, timeline or the inspector's) summed per group in
 * each snapshot, the groups that grew most first (those that shrank last: V8 flushing bytecode
 * frees tens of KB of strings and shapes, which would hide a few KB of growth). Unlike `growth` this
 * does not need the same objects in both: a store replaced by a larger one shows as its group's
 * growth. */
export function classChanges(before: Snapshot, after: Snapshot, top = 25): ClassChange[] {
  hasEdges(before, "earlier");
  hasEdges(after, "later");
  const sums = (s: Snapshot, keep: boolean) => {
    const m = s.snapshot.meta;
    const nf = m.node_fields.length;
    const S = m.node_fields.indexOf("self_size");
    const ret = retainers(s);
    const { kind, pathOf } = labels(s, ret);
    const source = nodeSources(s);
    const out = new Map<string, { count: number; bytes: number; largest: number; path: string }>();
    for (let n = 0; n < source.length; n++) {
      if (source[n] !== "pageKb") continue;
      const key =
        ret.many[n] === 1 ? `${kind(n)} ${ret.edge[n].replace(/^\[\d+\]$/, "[]")} <- ${kind(ret.first[n])}` : kind(n);
      const bytes = s.nodes[n * nf + S];
      const g = out.get(key) ?? { count: 0, bytes: 0, largest: -1, path: "" };
      g.count++;
      g.bytes += bytes;
      if (keep && bytes > g.largest) {
        g.largest = bytes;
        g.path = pathOf(n);
      }
      out.set(key, g);
    }
    return out;
  };
  const a = sums(before, false);
  const b = sums(after, true);
  const keys = new Set([...a.keys(), ...b.keys()]);
  const zero = { count: 0, bytes: 0, path: "" };
  return [...keys]
    .map((group) => {
      const x = a.get(group) ?? zero;
      const y = b.get(group) ?? zero;
      return {
        group,
        countBefore: x.count,
        countAfter: y.count,
        bytesBefore: x.bytes,
        bytesAfter: y.bytes,
        path: y.path,
      };
    })
    .filter((c) => c.bytesAfter !== c.bytesBefore || c.countAfter !== c.countBefore)
    .sort((p, q) => q.bytesAfter - q.bytesBefore - (p.bytesAfter - p.bytesBefore))
    .slice(0, top);
}
