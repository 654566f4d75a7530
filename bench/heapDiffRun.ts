/**
 * Finds what grows on the soak page's heap (the three-snapshot method): the effect runs `--frames`
 * frames (no faults, no resizes) after a warm-up, snapshots A, B, C with `--frames` between each
 * (after a forced GC, no inference running). Objects born between A and B that are still alive at
 * C are what the page keeps; those born between B and C are the same plus C's transients.
 * Options: --engine webgl2|webgpu  --size 64  --warmup 300 (frames after the first inferences)
 * --frames 1000  --out NAME (JSON into bench/results/tmp/NAME.json, default heap-diff-ENGINE)
 * --js-flags "FLAGS" (V8 flags, as bench:soak's).
 * Then the page's objects summed per group at A and at C (`classChanges`), which sees growth that
 * replaces its objects (an array's or a table's store) where the ids cannot.
 * Found with it (2026-11-25, WebGPU, 700 frames between snapshots): of the page's JS objects only
 * the 3 bind groups the plugin makes once when its session comes up (after A, in that run) were
 * kept; the rest was V8's compiled code and its bookkeeping, and Chromium's performance timeline
 * (bench/heapSnapshot.ts now counts each where it belongs).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, serveDemo } from "../engine-demo/node/browser.ts";
import { ENGINE_KINDS, type EngineKind } from "../engine-demo/src/contracts.ts";
import { classChanges, growth, nodeIds } from "./heapDiff.ts";
import { takeSnapshot } from "./heapSnapshot.ts";
import { openSoakPage, settleAndCollectGarbage } from "./soakDriver.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (n: string, d: string) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const engine = opt("--engine", "webgpu");
const size = Number(opt("--size", "64"));
const warmup = Number(opt("--warmup", "300"));
const frames = Number(opt("--frames", "1000"));
const jsFlags = opt("--js-flags", "");
for (const [name, v] of [
  ["--size", size],
  ["--warmup", warmup],
  ["--frames", frames],
] as const)
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number >= 1, got ${opt(name, "")}`);
if (!ENGINE_KINDS.includes(engine as EngineKind))
  throw new Error(`--engine must be ${ENGINE_KINDS.join(" or ")}, got ${engine}`);
const log = (m: string) => process.stderr.write(`heap-diff: ${m}\n`);

const server = await serveDemo();
const browser = await launchChromium(jsFlags ? [`--js-flags=${jsFlags}`] : []);
try {
  const context = await browser.newContext({ viewport: { width: 400, height: 400 } });
  const page = await context.newPage();
  await openSoakPage(page, `${server.url}soak.html?engine=${engine}&size=${size}`);
  const cdp = await context.newCDPSession(page);
  const state = () =>
    page.evaluate(() => {
      const s = window.remasterSoak.state();
      return { inferences: s.inferences, frames: s.frames };
    });
  const run = async (n: number) => {
    for (let done = 0; done < n; done += 100)
      await page.evaluate((k) => window.remasterSoak.frames({ n: k, checkEvery: 0 }), Math.min(100, n - done));
  };
  const settle = async () => {
    await settleAndCollectGarbage(page, cdp);
    await cdp.send("HeapProfiler.collectGarbage"); // a second pass: what the first freed may free more
  };
  const t0 = Date.now();
  // The effect running first (WebGPU builds its session for a while): A is taken in its steady state.
  for (let i = 0; i < 2000 && (await state()).inferences < 2; i++) await run(5);
  if ((await state()).inferences < 2)
    throw new Error("the effect did not start running (no inference in 10,000 frames)");
  await run(warmup);
  await settle();
  const snapA = await takeSnapshot(cdp);
  const a = nodeIds(snapA);
  const sA = await state();
  log(`A after ${warmup} frames: ${a.size} nodes, ${JSON.stringify(sA)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  await run(frames);
  await settle();
  const b = nodeIds(await takeSnapshot(cdp));
  const sB = await state();
  log(`B: ${b.size} nodes, ${JSON.stringify(sB)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  await run(frames);
  await settle();
  const c = await takeSnapshot(cdp);
  const sC = await state();
  log(
    `C: ${c.nodes.length / c.snapshot.meta.node_fields.length} nodes, ${JSON.stringify(sC)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  const kept = growth(c, (id) => b.has(id) && !a.has(id), 40);
  const fresh = growth(c, (id) => !b.has(id), 40);
  const changed = classChanges(snapA, c, 40);
  const sum = (g: typeof kept) =>
    g.reduce((x, y) => ({ count: x.count + y.count, bytes: x.bytes + y.bytes }), { count: 0, bytes: 0 });
  const out = {
    engine,
    size,
    warmup,
    frames,
    inferencesAB: sB.inferences - sA.inferences,
    kept,
    fresh,
    keptTotal: sum(kept),
    freshTotal: sum(fresh),
    inferencesAC: sC.inferences - sA.inferences,
    changedAC: changed,
  };
  mkdirSync(join(root, "bench/results/tmp"), { recursive: true });
  const path = join(root, "bench/results/tmp", `${opt("--out", `heap-diff-${engine}`)}.json`);
  writeFileSync(path, JSON.stringify(out, null, 1) + "\n");
  for (const g of kept.slice(0, 25))
    log(`kept ${g.count} x ${g.type} ${g.name}: ${g.bytes} B; ${g.path.slice(0, 400)}`);
  for (const g of changed.slice(0, 25))
    log(
      `A->C ${g.bytesAfter - g.bytesBefore >= 0 ? "+" : ""}${g.bytesAfter - g.bytesBefore} B (${g.countBefore} -> ${g.countAfter}) ${g.group.slice(0, 200)}; ${g.path.slice(0, 300)}`,
    );
  log(`wrote ${path}`);
} finally {
  await browser.close();
  await server.close();
}
