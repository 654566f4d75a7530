/**
 * Where a page's heap is: a V8 heap snapshot over CDP (`HeapProfiler.takeHeapSnapshot`, after the
 * caller's forced GC), every node's self size summed by source. The soak (bench/soakDriver.ts)
 * takes one per sample, so a growing heap can be told apart from the page's own objects:
 * - `timeline`: Chromium's performance timeline (long-animation-frame entries with their script
 *   attributions, long tasks, resource timings). Chromium buffers at most 200 long-animation-frame
 *   and 200 long-task entries (`kDefaultLongAnimationFrameBufferSize` in its window_performance.cc),
 *   so this part is bounded; on SwiftShader nearly every frame is a long one and it fills.
 * - `code`: V8's compiled code and WebAssembly modules (JIT tiering, flushed by V8 when it chooses).
 * - `devtools`: what the inspector keeps for the CDP session that drives the page (network bodies).
 * - `page`: everything else: the page's JS objects, closures, arrays, strings, typed arrays, DOM
 *   and WebGPU/WebGL wrappers. Growth here is what a leak in the plugin would show as.
 */
import type { CDPSession } from "playwright-core";

export interface HeapBySource {
  timelineKb: number;
  codeKb: number;
  devtoolsKb: number;
  pageKb: number;
}

const TIMELINE = /^(Performance[A-Za-z]*Timing|blink::ScriptTimingInfo|TaskAttributionTiming)$/;
const DEVTOOLS = /^blink::(NetworkResourcesData::ResourceData|XHRReplayData)$/;

/** The source of one snapshot node, from its type and name (exported for its unit test). */
export function sourceOf(type: string, name: string): keyof HeapBySource {
  if (type === "code" || name.includes("(WasmNativeModule)")) return "codeKb";
  if (type === "native" && TIMELINE.test(name)) return "timelineKb";
  if (type === "native" && DEVTOOLS.test(name)) return "devtoolsKb";
  return "pageKb";
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self sizes of a parsed snapshot, summed by source (KB). */
export function heapBySource(snap: Snapshot): HeapBySource {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [t, n, s] = ["type", "name", "self_size"].map((k) => fields.indexOf(k));
  const out: HeapBySource = { timelineKb: 0, codeKb: 0, devtoolsKb: 0, pageKb: 0 };
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    out[sourceOf(types[snap.nodes[i + t]], snap.strings[snap.nodes[i + n]])] += snap.nodes[i + s] / 1024;
  }
  return out;
}

/** Takes a heap snapshot of the page over `cdp` and sums it by source. */
export async function takeHeapBySource(cdp: CDPSession): Promise<HeapBySource> {
  const chunks: string[] = [];
  const onChunk = (e: { chunk: string }) => chunks.push(e.chunk);
  cdp.on("HeapProfiler.addHeapSnapshotChunk", onChunk);
  try {
    await cdp.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  } finally {
    cdp.off("HeapProfiler.addHeapSnapshotChunk", onChunk);
  }
  return heapBySource(JSON.parse(chunks.join("")) as Snapshot);
}
