/**
 * bench/heapDiff.ts: the objects a later heap snapshot has that an earlier one had not, grouped,
 * each group with the retainer path of one of its objects (what `npm run bench:heap-diff` prints).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { classChanges, growth, nodeIds } from "../../bench/heapDiff.ts";

const meta = {
  node_fields: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
  node_types: [["hidden", "array", "string", "object", "code", "closure", "native", "synthetic"]] as [string[]],
  edge_fields: ["type", "name_or_index", "to_node"],
  edge_types: [["context", "element", "property", "internal", "hidden", "shortcut", "weak"]] as [string[]],
};
const strings = ["(GC roots)", "Effect", "timers", "Timer", "cache", "Array", "(object elements)"];

/** A root holding an Effect, whose `timers` array holds `timers` Timer objects (ids 100+); the root
 * also holds, weakly, a `cache` Array (id 9). */
function snapshot(timers: number) {
  const nodes = [
    [7, 0, 1, 0, 2], // 0 root: -> Effect, weak -> Array
    [3, 1, 2, 64, 1], // 1 Effect -> timers array
    [1, 6, 3, 16 + 8 * timers, timers], // 2 the array's elements
    [3, 5, 9, 32, 0], // 3 an Array held only weakly
    ...Array.from({ length: timers }, (_, i) => [3, 3, 100 + i, 40, 0]),
  ].flatMap((n) => [...n, 0, 0]);
  const edges = [
    [2, 1, 1 * 7],
    [6, 4, 3 * 7],
    [2, 2, 2 * 7],
    ...Array.from({ length: timers }, (_, i) => [1, i, (4 + i) * 7]),
  ].flat();
  return { snapshot: { meta }, nodes, edges, strings };
}

test("growth finds the objects born since a snapshot and how they are held", () => {
  const before = nodeIds(snapshot(2));
  assert.deepEqual(
    [...before].sort((a, b) => a - b),
    [1, 2, 3, 9, 100, 101],
  );
  const after = snapshot(5);
  const g = growth(after, (id) => !before.has(id));
  assert.equal(g.length, 1);
  assert.deepEqual(
    { type: g[0].type, name: g[0].name, count: g[0].count, bytes: g[0].bytes },
    {
      type: "object",
      name: "Timer",
      count: 3,
      bytes: 120,
    },
  );
  // Held by element [2] of the Effect's `timers` array, held by the root: weak edges are not paths.
  assert.equal(
    g[0].path,
    "object:Timer [2] <- array:(object elements) .timers <- object:Effect .Effect <- synthetic:(GC roots)",
  );
  assert.deepEqual(
    growth(after, () => false),
    [],
  );
  assert.throws(() => growth({ ...after, edges: undefined }, () => true), /no edges/);
});

test("classChanges sees a store replaced by a larger one, grouped with what holds it", () => {
  // Between the two, the timers array's backing store is a new, larger object (new id): the ids
  // see it as born and nothing as kept; the per-group sums see the store and the Timers grow.
  const before = snapshot(2);
  const after = snapshot(5);
  after.nodes[2 * 9 + 2] = 42; // the elements' id changes: a replaced store
  const c = classChanges(before, after);
  assert.deepEqual(
    c.map(({ group, countBefore, countAfter, bytesBefore, bytesAfter }) => ({
      group,
      countBefore,
      countAfter,
      bytesBefore,
      bytesAfter,
    })),
    [
      {
        group: "object:Timer [] <- array:(object elements)",
        countBefore: 2,
        countAfter: 5,
        bytesBefore: 80,
        bytesAfter: 200,
      },
      {
        group: "array:(object elements) .timers <- object:Effect",
        countBefore: 1,
        countAfter: 1,
        bytesBefore: 32,
        bytesAfter: 56,
      },
    ],
  );
  assert.equal(c[1].path, "array:(object elements) .timers <- object:Effect .Effect <- synthetic:(GC roots)");
  // Nothing changed, nothing listed; snapshots without edges are refused by name.
  assert.deepEqual(classChanges(after, after), []);
  assert.throws(() => classChanges({ ...before, edges: undefined }, after), /earlier snapshot has no edges/);
});

test("classChanges groups strings by kind, not by text, and leaves compiled code out", () => {
  const strings = ["(GC roots)", "a", "bb", "f"];
  const nodes = (texts: number[]) =>
    [
      [7, 0, 1, 0, texts.length + 1], // root -> each string, and -> code
      ...texts.map((t, i) => [2, t, 10 + i, 16, 0]),
      [4, 3, 99, 500 * texts.length, 0], // compiled code: not the page's
    ].flatMap((n) => [...n, 0, 0]);
  const edges = (k: number) => Array.from({ length: k + 1 }, (_, i) => [2, 1, (1 + i) * 7]).flat();
  const snap = (texts: number[]) => ({ snapshot: { meta }, nodes: nodes(texts), edges: edges(texts.length), strings });
  // Each string held once (by the root): grouped with it, whatever its text.
  assert.deepEqual(
    classChanges(snap([1]), snap([1, 2, 2])).map((c) => [c.group, c.countBefore, c.countAfter]),
    [["string: .a <- synthetic:(GC roots)", 1, 3]],
  );
});
