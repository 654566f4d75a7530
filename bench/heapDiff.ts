/**
 * What a page's heap gained between two moments: the objects of a later V8 heap snapshot that an
 * earlier one of the same page did not have (V8 keeps an object's snapshot id for its life, as
 * DevTools' "objects allocated between snapshots" does), grouped by node type and name, each group
 * with its count, its self size and the retainer path of one of its objects.
 * Used by `npm run bench:heap-diff` (bench/heapDiffRun.ts) to find what grows in the soak's heap.
 */
import { forEachEdge, type Snapshot } from "./heapSnapshot.ts";

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

/** Objects of `after` whose ids `select` picks, grouped by type and name, largest first. */
export function growth(after: Snapshot, select: (id: number) => boolean, top = 25): GrowthGroup[] {
  const m = after.snapshot.meta;
  if (!after.edges || !m.edge_fields || !m.edge_types) throw new Error("heapDiff: the snapshot has no edges");
  const nf = m.node_fields.length;
  const [T, N, ID, S] = ["type", "name", "id", "self_size"].map((k) => m.node_fields.indexOf(k));
  const ntypes = m.node_types[0];
  const count = after.nodes.length / nf;
  // For each node, one retainer (the first strong edge found to it) and that edge, as a path shows it.
  const retainer = new Int32Array(count).fill(-1);
  const retEdge: string[] = [];
  forEachEdge(after, (from, to, kind, name) => {
    if (kind === "weak" || kind === "shortcut" || retainer[to] >= 0) return;
    retainer[to] = from;
    retEdge[to] = kind === "element" || kind === "hidden" ? name : `.${name}`; // `[i]`, or `.name`
  });
  const label = (n: number) => {
    const t = ntypes[after.nodes[n * nf + T]];
    const name = after.strings[after.nodes[n * nf + N]];
    return `${t}:${name.slice(0, 60)}`;
  };
  const pathOf = (n: number) => {
    const parts: string[] = [label(n)];
    const seen = new Set<number>([n]);
    for (let cur = n, depth = 0; depth < 12 && retainer[cur] >= 0; depth++) {
      const r = retainer[cur];
      parts.push(`${retEdge[cur]} <- ${label(r)}`);
      if (seen.has(r)) break;
      seen.add(r);
      cur = r;
    }
    return parts.join(" ");
  };
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
