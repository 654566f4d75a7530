/**
 * The soak's short version (bench/soakDriver.ts; the 10,000-frame run is `npm run bench:soak`):
 * a few hundred frames with resizes, toggles, a model swap, losses in a row and a dispose during a
 * running inference followed by a new effect. It asserts counts, never times: live GPU objects never above their
 * count at the first settled sample of their device / context life, one onnxruntime session open, no black frame, every loss reported once
 * and recovered, the swap and the dispose silent and followed by a working effect.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { SHORT_PLAN, runSoak, type SoakPlan } from "../../bench/soakDriver.ts";
import { figures } from "../../bench/soakFigures.ts";
import { useBrowserSession } from "../helpers/session.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const session = useBrowserSession();

async function soak(engine: string, plan: SoakPlan) {
  const context = await session.browser.newContext({ viewport: { width: 400, height: 400 } });
  try {
    const page = await context.newPage();
    const model = readFileSync(join(root, "models/remaster-realtime.onnx"));
    await page.route(`**${plan.swapModel}`, (route) => route.fulfill({ body: model }));
    await page.goto(`${session.server.url}soak.html?engine=${engine}&size=64`);
    await page.waitForFunction(() => document.body.dataset.ready === "true" || document.body.dataset.error, null, {
      timeout: 120_000,
    });
    assert.equal(await page.evaluate(() => document.body.dataset.error), undefined);
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
