/**
 * What a page's heap gained between two moments: the objects of a later V8 heap snapshot that an
 * earlier one of the same page did not have (V8 keeps an object's snapshot id for its life, as
 * DevTools' "objects allocated between snapshots" does), grouped by node type and name, each group
 * with its count, its self size and the retainer path of one of its objects.
 * Used by `npm run bench:heap-diff` (bench/heapDiffRun.ts) to find what grows in the soak's heap.
 */
import { forEachEdge, sourceOf, type Snapshot } from "./heapSnapshot.ts";

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

/** Each node's first strong retainer and the edge to it, and the labels and paths made of them. */
function retainers(snap: Snapshot) {
  const m = snap.snapshot.meta;
  if (!snap.edges || !m.edge_fields || !m.edge_types) throw new Error("heapDiff: the snapshot has no edges");
  const nf = m.node_fields.length;
  const [T, N] = ["type", "name"].map((k) => m.node_fields.indexOf(k));
  const ntypes = m.node_types[0];
  const count = snap.nodes.length / nf;
  const retainer = new Int32Array(count).fill(-1);
  const retEdge: string[] = [];
  forEachEdge(snap, (from, to, kind, name) => {
    if (kind === "weak" || kind === "shortcut" || retainer[to] >= 0) return;
    retainer[to] = from;
    retEdge[to] = kind === "element" || kind === "hidden" ? name : `.${name}`; // `[i]`, or `.name`
  });
  const label = (n: number) => `${ntypes[snap.nodes[n * nf + T]]}:${snap.strings[snap.nodes[n * nf + N]].slice(0, 60)}`;
  /** `n` and up to `depth` retainers, as `label .edge <- label ...`; `[i]` written `[]` when `generic`
   * (so that the elements of one array share one path). */
  const pathOf = (n: number, depth = 12, generic = false) => {
    const parts: string[] = [label(n)];
    const seen = new Set<number>([n]);
    for (let cur = n, d = 0; d < depth && retainer[cur] >= 0; d++) {
      const r = retainer[cur];
      parts.push(`${generic ? retEdge[cur].replace(/^\[\d+\]$/, "[]") : retEdge[cur]} <- ${label(r)}`);
      if (seen.has(r)) break;
      seen.add(r);
      cur = r;
    }
    return parts.join(" ");
  };
  return { count, pathOf };
}

/** Objects of `after` whose ids `select` picks, grouped by type and name, largest first. */
export function growth(after: Snapshot, select: (id: number) => boolean, top = 25): GrowthGroup[] {
  const m = after.snapshot.meta;
  const nf = m.node_fields.length;
  const [T, N, ID, S] = ["type", "name", "id", "self_size"].map((k) => m.node_fields.indexOf(k));
  const ntypes = m.node_types[0];
  const { count, pathOf } = retainers(after);
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

/**
 * The page's objects (bench/heapSnapshot.ts's `page` part: not code, timeline or the inspector's)
 * summed by where they hang: each object with its first `depth` retainers (an array's elements
 * share one path). Subtracting an earlier snapshot's from a later one's (`pathGrowth`) finds growth
 * that replaces its objects as it grows (an array's backing store, a hash table), which `growth`'s
 * ids miss: the store alive at the last snapshot is newer than the middle one.
 */
export function bytesByPath(snap: Snapshot, depth = 3): Map<string, { bytes: number; count: number }> {
  const m = snap.snapshot.meta;
  const nf = m.node_fields.length;
  const [T, N, S] = ["type", "name", "self_size"].map((k) => m.node_fields.indexOf(k));
  const ntypes = m.node_types[0];
  const { count, pathOf } = retainers(snap);
  const out = new Map<string, { bytes: number; count: number }>();
  for (let n = 0; n < count; n++) {
    if (sourceOf(ntypes[snap.nodes[n * nf + T]], snap.strings[snap.nodes[n * nf + N]]) !== "pageKb") continue;
    const key = pathOf(n, depth, true);
    const g = out.get(key) ?? { bytes: 0, count: 0 };
    g.bytes += snap.nodes[n * nf + S];
    g.count++;
    out.set(key, g);
  }
  return out;
}

/** The paths whose bytes grew most from `before` to `after` (bytesByPath's maps), largest first. */
export function pathGrowth(
  before: Map<string, { bytes: number; count: number }>,
  after: Map<string, { bytes: number; count: number }>,
  top = 25,
): Array<{ path: string; bytes: number; count: number }> {
  return [...after.entries()]
    .map(([path, g]) => ({
      path,
      bytes: g.bytes - (before.get(path)?.bytes ?? 0),
      count: g.count - (before.get(path)?.count ?? 0),
    }))
    .filter((g) => g.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}
