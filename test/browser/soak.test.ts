/**
 * The soak's short version (bench/soakPlan.ts's SHORT_PLAN, run by bench/soakDriver.ts; the
 * 10,000-frame run is `npm run bench:soak`):
 * a few hundred frames with resizes, toggles, a model swap, losses in a row and a dispose during a
 * running inference followed by a new effect. It asserts counts, never times: live GPU objects never above their
 * count at the first settled sample of their device / context life, one onnxruntime session open, no black frame, every loss reported once
 * and recovered, the swap and the dispose silent and followed by a working effect. And the control
 * (`npm run bench:soak -- --effect off`): the same page without the effect runs the plan's losses
 * and resizes, and a plan that does not match the page is refused.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { openSoakPage, runSoak, waitForInferenceToEnd } from "../../bench/soakDriver.ts";
import { SHORT_PLAN, controlPlan, type SoakPlan } from "../../bench/soakPlan.ts";
import { figures } from "../../bench/soakFigures.ts";
import { useBrowserSession } from "../helpers/session.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const session = useBrowserSession();

async function soak(engine: string, plan: SoakPlan, query = "") {
  const context = await session.browser.newContext({ viewport: { width: 400, height: 400 } });
  try {
    const page = await context.newPage();
    const model = readFileSync(join(root, "models/remaster-realtime.onnx"));
    await page.route(`**${plan.swapModel}`, (route) => route.fulfill({ body: model }));
    await openSoakPage(page, `${session.server.url}soak.html?engine=${engine}&size=64${query}`);
    const result = await runSoak(page, plan);
    return { result, f: figures(result) };
  } finally {
    await context.close();
  }
}

// SwiftShader rebuilds a WebGPU session in seconds and recovers a device in tens of them: fewer events there.
const PLANS: Record<string, SoakPlan> = {
  webgl2: SHORT_PLAN,
  webgpu: { ...SHORT_PLAN, frames: 200, resizes: 4, toggles: 8, losses: 1, swapAt: 100, disposeAt: 130 },
};

describe("soak (short)", () => {
  for (const engine of ["webgl2", "webgpu"]) {
    test(`${engine}: counts hold over ${PLANS[engine].frames} frames with faults`, { timeout: 600_000 }, async () => {
      const { result: r, f } = await soak(engine, PLANS[engine]);
      const detail = JSON.stringify({ faults: r.faults, errors: r.errors, samples: r.samples });
      assert.equal(r.resizes, PLANS[engine].resizes);
      assert.equal(r.toggles, PLANS[engine].toggles);
      assert.ok(f.gpuObjectsNeverGrow, `live GPU objects grew between samples: ${detail}`);
      assert.ok(f.sessionsOpenAlwaysOne, `onnxruntime sessions open != 1: ${detail}`);
      assert.ok(f.noBlackFrame, `${r.blackFrames} black of ${r.framesChecked} checked frames`);
      assert.ok(f.everyLossReportedOnceAndRecovered, detail);
      assert.ok(f.swapAndDisposeSilentAndRecovered, detail);
      assert.equal(r.errors.length, PLANS[engine].losses, detail);
      assert.ok(r.samples.at(-1)!.inferences > r.samples[0].inferences);
    });
  }
});

describe("soak page: GPU objects a post-process keeps cached for another size", () => {
  test(
    "webgl2: the old size's targets are counted apart after a resize and freed after 100 frames",
    { timeout: 180_000 },
    async () => {
      const context = await session.browser.newContext({ viewport: { width: 400, height: 400 } });
      try {
        const page = await context.newPage();
        await openSoakPage(page, `${session.server.url}soak.html?engine=webgl2&size=64`);
        const frames = (n: number) => page.evaluate((k) => window.remasterSoak.frames({ n: k, checkEvery: 0 }), n);
        const state = () => page.evaluate(() => window.remasterSoak.state());
        /** The GPU counts once no inference is running (its readback buffer is transient). */
        const gpu = async () => {
          await waitForInferenceToEnd(page);
          return (await state()).gpu;
        };
        // The effect's session up and its first results shown: its result texture and readback exist.
        for (let i = 0; i < 400 && (await state()).inferences < 3; i++) await frames(5);
        await frames(150); // the first size's caches settled
        const start = await gpu();
        assert.deepEqual(start.idleCached, { buffers: 0, textures: 0 });
        await page.evaluate(() => window.remasterSoak.resize(96));
        await frames(20);
        await page.evaluate(() => window.remasterSoak.resize(64));
        await frames(5);
        const after = await gpu();
        const detail = JSON.stringify({ start, after });
        // The 96-pixel targets (each a texture and a framebuffer, at least) wait in the caches...
        assert.ok(after.idleCached.textures >= 2, detail);
        // ...and are all that changed: what the page holds for use is what it held before.
        assert.equal(after.textures.live - after.idleCached.textures, start.textures.live, detail);
        assert.equal(after.buffers.live - after.idleCached.buffers, start.buffers.live, detail);
        await frames(110);
        const later = await gpu();
        assert.deepEqual(later.idleCached, { buffers: 0, textures: 0 }, JSON.stringify(later));
        assert.equal(later.textures.live, start.textures.live, JSON.stringify({ start, later }));
        assert.equal(later.buffers.live, start.buffers.live, JSON.stringify({ start, later }));
      } finally {
        await context.close();
      }
    },
  );
});

describe("soak control (no effect on the page)", () => {
  for (const engine of ["webgl2", "webgpu"]) {
    test(`${engine}: the page without the effect renders through its losses`, { timeout: 300_000 }, async () => {
      const plan = controlPlan({ ...SHORT_PLAN, frames: 200, resizes: 4, toggles: 4, losses: 2 });
      const { result: r, f } = await soak(engine, plan, "&effect=off");
      const detail = JSON.stringify({ faults: r.faults, errors: r.errors, samples: r.samples });
      assert.deepEqual(
        r.faults.map((x) => x.kind),
        Array(2).fill(engine === "webgpu" ? "device-loss" : "context-loss"),
      );
      assert.ok(f.everyLossReportedOnceAndRecovered, detail); // recovered, and nothing to report it
      assert.equal(r.errors.length, 0, detail);
      assert.equal(f.sessionsOpenAlwaysOne, null);
      assert.ok(r.samples.every((x) => x.sessionsOpen === 0 && x.inferences === 0));
      assert.equal(r.samples.at(-1)!.generation, 3, detail); // two losses: the third device / context life
      assert.ok(f.gpuObjectsNeverGrow, detail);
      assert.ok(f.noBlackFrame, `${r.blackFrames} black of ${r.framesChecked} checked frames`);
    });
  }

  test("a plan with the effect on a page without it is refused, naming both", { timeout: 120_000 }, async () => {
    await assert.rejects(
      soak("webgl2", SHORT_PLAN, "&effect=off"),
      /the plan is with the effect but the page has none/,
    );
  });
});
