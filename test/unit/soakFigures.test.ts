/**
 * The soak's heap attribution (bench/heapSnapshot.ts) and the figures made from it
 * (bench/soakFigures.ts): a snapshot's nodes summed by source, and a page-heap slope that sees a
 * leak of the page's objects while the browser's bounded timeline grows beside it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { codeHeld, heapBySource, sourceOf } from "../../bench/heapSnapshot.ts";
import { FULL_PLAN } from "../../bench/soakPlan.ts";
import { emptySoakResult, type SoakResult } from "../../bench/soakResult.ts";
import { figures } from "../../bench/soakFigures.ts";
import { soakSample } from "../helpers/soakSample.ts";

test("heap snapshot nodes are summed by source", () => {
  const types = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native"];
  const node = (type: string, name: number, size: number) => [types.indexOf(type), name, 0, size, 0, 0, 0];
  const snap = {
    snapshot: {
      meta: {
        node_fields: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
        node_types: [types] as [string[]],
      },
    },
    strings: [
      "PerformanceScriptTiming",
      "blink::ScriptTimingInfo",
      "",
      "system / CppGCManaged (WasmNativeModule)",
      "blink::NetworkResourcesData::ResourceData",
      "GPUDevice",
      "Float32Array",
    ],
    nodes: [
      ...node("native", 0, 1024),
      ...node("native", 1, 2048),
      ...node("code", 2, 4096),
      ...node("native", 3, 1024),
      ...node("native", 4, 512),
      ...node("native", 5, 256),
      ...node("object", 6, 768),
      ...node("object", 0, 1024), // a JS object named like a timeline entry is the page's
    ],
  };
  assert.deepEqual(heapBySource(snap), { timelineKb: 3, codeKb: 5, devtoolsKb: 0.5, pageKb: 2 });
  assert.equal(sourceOf("native", "PerformanceLongAnimationFrameTiming"), "timelineKb");
  assert.equal(sourceOf("native", "GPUBuffer"), "pageKb");
});

test("the page-heap slope sees the page's growth apart from the browser's timeline", () => {
  const pageSample = (frame: number, pageKb: number, timelineKb: number) =>
    soakSample(frame, (pageKb + timelineKb) / 1024, { heapBySource: { pageKb, timelineKb, codeKb: 0, devtoolsKb: 0 } });
  const run = (page: (f: number) => number, faults: SoakResult["faults"] = []): SoakResult => ({
    ...emptySoakResult("webgpu", { ...FULL_PLAN, losses: 0, swapAt: faults.length ? 5000 : -1, disposeAt: -1 }),
    samples: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) =>
      pageSample(i * 1000, page(i * 1000) + ((i * 37) % 5), 5000 + 300 * i),
    ),
    faults,
    framesChecked: 1,
  });
  const flat = figures(run(() => 8000));
  assert.equal(flat.heapGrowthWithinNoise, false); // the whole heap grows with the timeline...
  assert.equal(flat.pageHeapGrowthWithinNoise, true); // ...the page's objects do not
  assert.ok(Math.abs(flat.pageHeapSlopeKbPer1000Frames!) < 1);
  assert.equal(Math.round(flat.heapChangeBySourceKb!.timelineKb), 2700);
  const leak = figures(run((f) => 8000 + f / 10)); // 100 KB per 1000 frames
  assert.equal(leak.pageHeapGrowthWithinNoise, false);
  assert.ok(Math.abs(leak.pageHeapSlopeKbPer1000Frames! - 100) < 1);
  assert.ok(Math.abs(leak.pageHeapBetweenFaults!.slopeKbPer1000Frames - 100) < 1);
  // One step at a fault (e.g. WebAssembly memory grown once at a model swap), flat otherwise: the
  // whole-run slope sees growth, the slope between faults does not, and the step is named.
  const swap = { kind: "model-swap" as const, atFrame: 5100, reported: 0, recovered: true, seconds: 1 };
  const step = figures(run((f) => (f > 5100 ? 11000 : 8000), [swap]));
  assert.equal(step.pageHeapGrowthWithinNoise, false);
  assert.ok(Math.abs(step.pageHeapBetweenFaults!.slopeKbPer1000Frames) < 1);
  assert.equal(step.pageHeapBetweenFaults!.stepsAtFaultsKb.length, 1);
  assert.equal(step.pageHeapBetweenFaults!.stepsAtFaultsKb[0].kind, "model-swap");
  assert.ok(Math.abs(step.pageHeapBetweenFaults!.stepsAtFaultsKb[0].kb - 3000) < 5);
  // The whole heap between faults still sees the timeline's 300 KB per 1000 frames.
  assert.ok(Math.abs(step.heapBetweenFaults.slopeKbPer1000Frames - 300) < 1);
  assert.equal(step.heapBetweenFaults.withinNoise, false);
  assert.equal(step.heapPerLoss, null); // no loss samples
});

test("the whole heap between faults: a step at a fault is not growth, a slope is", () => {
  const loss = { kind: "device-loss" as const, atFrame: 2600, reported: 1, recovered: true, seconds: 1 };
  const run = (kb: (f: number) => number): SoakResult => ({
    ...emptySoakResult("webgpu", { ...FULL_PLAN, losses: 1, swapAt: -1, disposeAt: -1 }),
    samples: Array.from({ length: 21 }, (_, i) => i * 500).map((frame) =>
      // 0-39 KB of noise
      soakSample(frame, (kb(frame) + ((frame * 7) % 40)) / 1024, { generation: frame > 2600 ? 2 : 1, errors: 1 }),
    ),
    faults: [loss],
    framesChecked: 1,
    errors: ["lost"],
  });
  const step = figures(run((f) => 18000 + (f > 2600 ? 800 : 0)));
  assert.equal(step.heapGrowthWithinNoise, false); // the whole-run line sees the step as growth
  assert.equal(step.heapBetweenFaults.withinNoise, true);
  assert.ok(Math.abs(step.heapBetweenFaults.slopeKbPer1000Frames) < 5);
  assert.deepEqual(
    step.heapBetweenFaults.stepsAtFaultsKb.map((x) => [x.kind, x.atFrame, Math.round(x.kb / 100) * 100]),
    [["device-loss", 2600, 800]],
  );
  assert.equal(step.pageHeapBetweenFaults, null); // no snapshots
  const leak = figures(run((f) => 18000 + f / 20)); // 50 KB per 1000 frames
  assert.equal(leak.heapBetweenFaults.withinNoise, false);
  // A heap that drops at the loss (caches freed) and is flat otherwise has not grown: the
  // whole-run slope is negative and beyond the noise, and the verdict is one-sided.
  const freed = figures(run((f) => 18000 - (f > 2600 ? 800 : 0)));
  assert.ok(freed.heapSlopeKbPer1000Frames < -50);
  assert.equal(freed.heapGrowthWithinNoise, true);
  assert.equal(freed.heapBetweenFaults.withinNoise, true);
  assert.ok(Math.abs(leak.heapBetweenFaults.slopeKbPer1000Frames - 50) < 3);
});

test("per loss: a first recovery's one-off build is told apart from growth with every loss", () => {
  const run = (kb: (loss: number) => number): SoakResult => ({
    ...emptySoakResult("webgpu", { ...FULL_PLAN, losses: 20 }),
    samples: [0, 500, 1000].map((frame) => soakSample(frame, 18, { generation: 21, errors: 20 })),
    lossSamples: Array.from({ length: 21 }, (_, loss) => ({
      loss,
      heapMb: (kb(loss) + ((loss * 13) % 30)) / 1024, // 0-29 KB of noise
      heapBySource: { pageKb: 40000 + kb(loss), codeKb: 30000, timelineKb: 50, devtoolsKb: 40 },
    })),
  });
  const bounded = figures(run((n) => 18000 + (n > 0 ? 600 : 0))).heapPerLoss!;
  assert.equal(bounded.losses, 20);
  assert.ok(Math.abs(bounded.firstKb - 600) < 30);
  assert.ok(Math.abs(bounded.laterKbPerLoss) < 3);
  assert.equal(bounded.laterWithinNoise, true);
  const growing = figures(run((n) => 18000 + (n > 0 ? 600 : 0) + 11 * n)).heapPerLoss!; // 11 KB per loss
  assert.ok(Math.abs(growing.laterKbPerLoss - 11) < 3);
  assert.equal(growing.laterWithinNoise, false);
  assert.ok(Math.abs(growing.laterBySourceKbPerLoss!.pageKb - 11) < 0.01);
  assert.equal(growing.laterBySourceKbPerLoss!.codeKb, 0);
  assert.equal(figures({ ...run(() => 0), lossSamples: [] }).heapPerLoss, null);
  // A heap that drops with every loss (V8 giving code back) has not grown: one-sided.
  const dropping = figures(run((n) => 18000 - 40 * n)).heapPerLoss!;
  assert.ok(dropping.laterKbPerLoss < -35);
  assert.equal(dropping.laterWithinNoise, true);
});

test("V8's bookkeeping for compiled code counts as code, through the edges that hold it", () => {
  const types = [
    "hidden",
    "array",
    "string",
    "object",
    "code",
    "closure",
    "regexp",
    "number",
    "native",
    "object shape",
  ];
  const edgeTypes = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"];
  const strings = [
    "system / Code", // 0
    "system / ProtectedFixedArray", // 1
    "system / WeakArrayList", // 2
    "system / Map", // 3
    "deoptimization_data", // 4
    "dependent_code", // 5
    "Renderer", // 6
    "items", // 7
    "blink::HeapVectorBacking<cppgc::internal::BasicMember<blink::PerformanceScriptTiming, x>>", // 8
    "system / WasmTrustedInstanceData", // 9
    "feedback_vectors", // 10
    "", // 11
  ];
  // node: type, name, id, self_size, edge_count, trace_node_id, detachedness (7 fields)
  const nodes = [
    [4, 0, 1, 4096, 1], // 0 code, holds 1 (deoptimization data)
    [8, 1, 2, 1024, 0], // 1 native system / ProtectedFixedArray: code's
    [9, 3, 3, 512, 1], // 2 a hidden class, its dependent_code list is 3
    [8, 2, 4, 2048, 0], // 3 native system / WeakArrayList: code's
    [3, 6, 5, 256, 1], // 4 a JS object, holds 5 by a property
    [8, 2, 6, 1024, 0], // 5 a WeakArrayList held by a JS object: the page's
    [8, 8, 7, 512, 0], // 6 the timeline's vector backing
    [8, 9, 8, 128, 1], // 7 a WebAssembly instance's data (the page's), holds 8
    [1, 11, 9, 2048, 1], // 8 its feedback_vectors list: code's, holds 9
    [1, 11, 10, 1024, 0], // 9 one function's feedback vector: code's
    [1, 11, 11, 256, 0], // 10 an array held by a JS object (4): the page's
  ].flatMap((n) => [...n, 0, 0]);
  const edges = [
    [3, 4, 1 * 7], // code -internal deoptimization_data-> ProtectedFixedArray
    [3, 5, 3 * 7], // map -internal dependent_code-> WeakArrayList
    [2, 7, 5 * 7], // object -property items-> WeakArrayList
    [3, 10, 8 * 7], // instance data -internal feedback_vectors-> list
    [3, 11, 9 * 7], // list -internal (an index)-> a function's vector
  ].flat();
  nodes[4 * 7 + 4] = 2; // the JS object also holds 10
  edges.splice(9, 0, 2, 7, 10 * 7);
  const snap = {
    snapshot: {
      meta: {
        node_fields: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
        node_types: [types] as [string[]],
        edge_fields: ["type", "name_or_index", "to_node"],
        edge_types: [edgeTypes] as [string[]],
      },
    },
    nodes,
    edges,
    strings,
  };
  // code 4 + 1 + 2 + 2 + 1 KB (WebAssembly's feedback, both levels); page: the map 0.5, the
  // object 0.25, its list 1 and its array 0.25, the instance data 0.125; timeline 0.5.
  assert.deepEqual(heapBySource(snap), { timelineKb: 0.5, codeKb: 10, devtoolsKb: 0, pageKb: 2.125 });
  // Without the edges, by name alone, V8's lists would count as the page's.
  assert.equal(heapBySource({ ...snap, edges: undefined }).pageKb, 8.125);
  assert.equal(codeHeld("code", "deoptimization_data", "native", "system / ProtectedFixedArray"), true);
  assert.equal(codeHeld("code", "x", "object", "Float32Array"), false); // a JS object held by code stays the page's
  assert.equal(codeHeld("object", "items", "native", "system / WeakArrayList"), false);
});

test("the control (no effect): a loss is recovered with nothing to report it, and sessions are not asked for", () => {
  const run = (reported: number): SoakResult => ({
    ...emptySoakResult("webgl2", { ...FULL_PLAN, effect: false, losses: 2, swapAt: -1, disposeAt: -1 }),
    samples: [0, 500, 1000].map((frame) => soakSample(frame, 14, { sessionsOpen: 0, inferences: 0 })),
    faults: [1, 2].map(() => ({ kind: "context-loss" as const, atFrame: 600, reported, recovered: true, seconds: 1 })),
    framesChecked: 1,
  });
  const quiet = figures(run(0));
  assert.equal(quiet.everyLossReportedOnceAndRecovered, true);
  assert.equal(quiet.sessionsOpenAlwaysOne, null);
  assert.equal(quiet.swapAndDisposeSilentAndRecovered, true);
  // A report on a page with no effect is something else's error: not the control's expected run.
  assert.equal(figures(run(1)).everyLossReportedOnceAndRecovered, false);
  // The same run with the effect (a stored run without `effect` is one): one report per loss, one session.
  const { effect: _, ...plan } = run(1).plan;
  const withEffect = figures({ ...run(1), plan, samples: run(1).samples.map((x) => ({ ...x, sessionsOpen: 1 })) });
  assert.equal(withEffect.everyLossReportedOnceAndRecovered, true);
  assert.equal(withEffect.sessionsOpenAlwaysOne, true);
});

test("GPU objects: a post-process's target cached for another size is not held; anything else that changes is", () => {
  /** Textures live at each sample, and how many of them are in post-processes' caches for another size. */
  const run = (live: number[], idle: number[]): SoakResult => ({
    ...emptySoakResult("webgl2", { ...FULL_PLAN, losses: 0, swapAt: -1, disposeAt: -1 }),
    samples: live.map((n, i) => soakSample(i * 500, 14, { texturesLive: n, texturesIdleCached: idle[i] })),
    framesChecked: 1,
  });
  // 25 live at the first samples, 3 of them a cached target; 22 once it was freed: 22 held throughout.
  const cached = figures(run([20, 25, 25, 22, 22], [0, 3, 3, 0, 0]));
  assert.equal(cached.gpuObjectsConstant, true);
  assert.deepEqual(cached.gpuObjectsByGeneration, { 1: ["10 buffers + 22 textures"] });
  // The same fall with nothing cached: the held count changed.
  const changed = figures(run([20, 25, 25, 22, 22], [0, 0, 0, 0, 0]));
  assert.equal(changed.gpuObjectsConstant, false);
  assert.equal(changed.gpuObjectsNeverGrow, true);
  // A texture left behind while the cache also holds one: growth, not the cache.
  const grown = figures(run([20, 25, 26, 26, 26], [0, 3, 3, 3, 3]));
  assert.equal(grown.gpuObjectsConstant, false);
  assert.equal(grown.gpuObjectsNeverGrow, false);
});
