/**
 * `npm run bench:dataset`: pairs/s at 256 and 512, and the generator's overhead over pure render
 * time, measured in the same run on the same browser. Prints JSON (and writes it to
 * bench/results/dataset.json).
 *   pure render  = in-page render of low + high, each waited on by a 1x1 readback (no transfer)
 *   generator    = steady-state wall time per pair of the real pipeline with 1 worker (full
 *                  readback, transfer, validation, PNG encode, atomic writes, manifest)
 *   overhead     = generator / pure render - 1   (goal <= 0.20)
 * Options: --pairs N (per size, default 6), --engine webgl2|webgpu, --sizes 256,512
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { launchChromium, openHarness, serveDemo } from "../../../engine-demo/node/browser.ts";
import type { EngineKind } from "../../../engine-demo/src/contracts.ts";
import { identityFor, planOptionsFor } from "./cli.ts";
import { DEFAULTS, type DatasetOptions } from "./options.ts";
import { planPairs } from "./plan.ts";
import { renderPairs } from "./renderPairs.ts";
import { DatasetStore, writeFileAtomic } from "./store.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const pairs = Number(arg("--pairs", "6"));
const engine = arg("--engine", "webgl2") as EngineKind;
const sizes = arg("--sizes", "256,512").split(",").map(Number);
const server = await serveDemo();
const browser = await launchChromium();
const results: Record<string, unknown>[] = [];
try {
  for (const size of sizes) {
    // Pure render cost of one pair, on the same layout the generator starts with.
    const h = await openHarness(browser, server.url);
    const plan = planPairs(planOptionsFor({ ...DEFAULTS, pairs }));
    const layout = plan[0].layout;
    await h.init({
      engine,
      width: size,
      height: size,
      source: { kind: "demo", layout: layout, seed: 1 },
      variants: ["low", "high"],
    });
    const low = await h.page.evaluate((n) => window.remasterHarness.benchRender("low", n), pairs);
    const high = await h.page.evaluate((n) => window.remasterHarness.benchRender("high", n), pairs);
    await h.page.context().close();
    const pureMs = low.msPerFrame + high.msPerFrame;

    for (const workers of [1, 2]) {
      const dir = mkdtempSync(join(tmpdir(), "remaster-bench-"));
      const options: DatasetOptions = {
        ...DEFAULTS,
        width: size,
        height: size,
        out: dir,
        workers,
        engine,
        pairs,
        quiet: true,
      };
      const store = new DatasetStore(join(dir, "ds"));
      store.open(identityFor(options));
      // One layout only, so the steady state is not interrupted by scene rebuilds.
      const jobs = planPairs(planOptionsFor({ ...options, pairs: pairs * 20 }))
        .filter((j) => j.layout === layout)
        .slice(0, pairs);
      const stamps: number[] = [];
      const t0 = performance.now();
      await renderPairs({
        browser,
        baseUrl: server.url,
        userSceneMount: "/user-scene/",
        options,
        store,
        jobs,
        onPair: () => stamps.push(performance.now()),
      });
      const wallS = (performance.now() - t0) / 1000;
      rmSync(dir, { recursive: true, force: true });
      // Steady state: from the first committed pair to the last (excludes start-up and warm-up).
      const steadyMs = (stamps[stamps.length - 1] - stamps[workers - 1]) / Math.max(1, stamps.length - workers);
      const row: Record<string, unknown> = {
        size,
        engine,
        workers,
        pairs,
        pairsPerSecondIncludingStartup: +(pairs / wallS).toFixed(3),
        pairsPerSecondSteady: +(1000 / steadyMs).toFixed(3),
        pureRenderMsPerPair: +pureMs.toFixed(1),
        generatorMsPerPair: +(steadyMs * workers).toFixed(1),
      };
      if (workers === 1) row.overheadRatio = +(steadyMs / pureMs - 1).toFixed(3);
      results.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
const report = {
  benchmark: "dataset",
  date: new Date().toISOString(),
  machine: `${(await import("node:os")).cpus()[0]?.model} x${(await import("node:os")).cpus().length}`,
  goal: "overheadRatio <= 0.20",
  results,
};
const outDir = resolve("bench/results");
mkdirSync(outDir, { recursive: true });
writeFileAtomic(join(outDir, "dataset.json"), JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report, null, 2));
