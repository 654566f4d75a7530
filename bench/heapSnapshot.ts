/**
 * Where a page's heap is: a V8 heap snapshot over CDP (`HeapProfiler.takeHeapSnapshot`, after the
 * caller's forced GC), every node's self size summed by source. The soak (bench/soakDriver.ts)
 * takes one per sample, so a growing heap can be told apart from the page's own objects:
 * - `timeline`: Chromium's performance timeline (long-animation-frame entries with their script
 *   attributions, long tasks, resource timings). Chromium buffers at most 200 long-animation-frame
 *   and 200 long-task entries (`kDefaultLongAnimationFrameBufferSize` in its window_performance.cc),
 *   so this part is bounded; on SwiftShader nearly every frame is a long one and it fills.
 * - `code`: V8's compiled code and WebAssembly modules (JIT tiering, flushed by V8 when it chooses),
 *   with the bookkeeping V8 keeps for it: the internal objects (`system / ...`) a code object holds
 *   (deoptimization data) and the `dependent_code` lists on hidden classes (which optimized code
 *   to throw away when a class changes). Found with bench/heapDiff.ts (2026-11-25): on WebGPU these
 *   lists were most of what the page's part gained between faults, and nothing else of it grew.
 *   Also WebAssembly's feedback vectors (`feedback_vectors` of a module instance: one per function,
 *   made when the function first runs, for V8's tier-up; onnxruntime-web's module has thousands):
 *   found with `classChanges` (2026-12-07) growing as new sessions ran new functions.
 * - `devtools`: what the inspector keeps for the CDP session that drives the page (network bodies).
 * - `page`: everything else: the page's JS objects, closures, arrays, strings, typed arrays, DOM
 *   and WebGPU/WebGL wrappers. Growth here is what a leak in the plugin would show as.
 * A node's source is first its own (`sourceOf`, by type and name); then V8's code bookkeeping is
 * moved to `code` through the edges that hold it (`codeHeld`).
 */
import type { CDPSession } from "playwright-core";

export interface HeapBySource {
  timelineKb: number;
  codeKb: number;
  devtoolsKb: number;
  pageKb: number;
}

const TIMELINE =
  /^(Performance[A-Za-z]*Timing|blink::ScriptTimingInfo|TaskAttributionTiming|blink::AnimationFrameTimingInfo|blink::HeapVectorBacking<cppgc::internal::BasicMember<blink::(Performance[A-Za-z]*Timing|ScriptTimingInfo|TaskAttributionTiming)\b.*)$/;
const DEVTOOLS = /^blink::(NetworkResourcesData::ResourceData|XHRReplayData)$/;

/** The source of one snapshot node, from its type and name (exported for its unit test). */
export function sourceOf(type: string, name: string): keyof HeapBySource {
  if (type === "code" || name.includes("(WasmNativeModule)")) return "codeKb";
  if (type === "native" && TIMELINE.test(name)) return "timelineKb";
  if (type === "native" && DEVTOOLS.test(name)) return "devtoolsKb";
  return "pageKb";
}

/** Whether an edge holds V8's bookkeeping for compiled code: a `dependent_code` list, a WebAssembly
 * instance's `feedback_vectors` list, or a V8 internal object (`system / ...`, not a JS object) held
 * by a code object (exported for its test). */
export function codeHeld(fromType: string, edgeName: string, toType: string, toName: string): boolean {
  if (edgeName === "dependent_code" || edgeName === "feedback_vectors") return true;
  return fromType === "code" && toType !== "code" && toName.startsWith("system / ");
}

export interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields?: string[];
      edge_types?: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  /** Absent in hand-made snapshots of tests that need no edges. */
  edges?: number[];
  strings: string[];
}

/** Calls `visit` for every edge of a snapshot that has its edges: the indices of the node it leaves
 * and of the node it reaches, its type, and its name (a property's or internal field's; `[i]` for an
 * element or hidden edge). Snapshots without edges (hand-made in tests) have none to visit. */
export function forEachEdge(
  snap: Snapshot,
  visit: (from: number, to: number, kind: string, name: string) => void,
): void {
  const meta = snap.snapshot.meta;
  if (!snap.edges || !meta.edge_fields || !meta.edge_types) return;
  const nf = meta.node_fields.length;
  const ec = meta.node_fields.indexOf("edge_count");
  const ef = meta.edge_fields;
  const [et, en, to] = ["type", "name_or_index", "to_node"].map((k) => ef.indexOf(k));
  const edgeTypes = meta.edge_types[0];
  const count = snap.nodes.length / nf;
  let e = 0;
  for (let node = 0; node < count; node++) {
    for (let k = 0; k < snap.nodes[node * nf + ec]; k++, e += ef.length) {
      const kind = edgeTypes[snap.edges[e + et]];
      const v = snap.edges[e + en];
      visit(node, snap.edges[e + to] / nf, kind, kind === "element" || kind === "hidden" ? `[${v}]` : snap.strings[v]);
    }
  }
}

/** The source of every node of a parsed snapshot, by node index: first its own (`sourceOf`), then
 * V8's code bookkeeping moved to `code` through the edges that hold it (`codeHeld`). */
export function nodeSources(snap: Snapshot): Array<keyof HeapBySource> {
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const [t, n] = ["type", "name"].map((k) => fields.indexOf(k));
  const count = snap.nodes.length / fields.length;
  const typeOf = (node: number) => types[snap.nodes[node * fields.length + t]];
  const nameOf = (node: number) => snap.strings[snap.nodes[node * fields.length + n]];
  const source: Array<keyof HeapBySource> = [];
  for (let node = 0; node < count; node++) source.push(sourceOf(typeOf(node), nameOf(node)));
  const wasmFeedback = new Set<number>();
  forEachEdge(snap, (from, to, _kind, name) => {
    if (source[to] === "pageKb" && codeHeld(typeOf(from), name, typeOf(to), nameOf(to))) source[to] = "codeKb";
    if (name === "feedback_vectors") wasmFeedback.add(to);
  });
  // The list's entries, one feedback vector per WebAssembly function, made when it first runs.
  if (wasmFeedback.size)
    forEachEdge(snap, (from, to) => {
      if (wasmFeedback.has(from) && source[to] === "pageKb" && typeOf(to) === "array") source[to] = "codeKb";
    });
  return source;
}

/** Self sizes of a parsed snapshot, summed by source (KB). */
export function heapBySource(snap: Snapshot): HeapBySource {
  const fields = snap.snapshot.meta.node_fields;
  const s = fields.indexOf("self_size");
  const source = nodeSources(snap);
  const out: HeapBySource = { timelineKb: 0, codeKb: 0, devtoolsKb: 0, pageKb: 0 };
  for (let node = 0; node < source.length; node++) out[source[node]] += snap.nodes[node * fields.length + s] / 1024;
  return out;
}

/** Takes a V8 heap snapshot of the page over `cdp`, parsed (the caller forces a GC first). */
export async function takeSnapshot(cdp: CDPSession): Promise<Snapshot> {
  const chunks: string[] = [];
  const onChunk = (e: { chunk: string }) => chunks.push(e.chunk);
  cdp.on("HeapProfiler.addHeapSnapshotChunk", onChunk);
  try {
    await cdp.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  } finally {
    cdp.off("HeapProfiler.addHeapSnapshotChunk", onChunk);
  }
  return JSON.parse(chunks.join("")) as Snapshot;
}

/** Takes a heap snapshot of the page over `cdp` and sums it by source. */
export async function takeHeapBySource(cdp: CDPSession): Promise<HeapBySource> {
  return heapBySource(await takeSnapshot(cdp));
}
