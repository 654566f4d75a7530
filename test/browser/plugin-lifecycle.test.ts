/**
 * RemasterPostProcess's lifecycle in headless Chromium: a lost WebGL context and a real WebGPU
 * device loss are reported and recovered from, the effect attaches to a camera that becomes active
 * later, impossible precision requests and corrupt or missing models are errors while the frame
 * passes through unchanged, and a runtime fault in an inference restarts the network (a bounded number of times).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { api, effectVsPassThrough, nanModel, withPage } from "../helpers/remasterPage.ts";
import { useBrowserSession } from "../helpers/session.ts";

const session = useBrowserSession();

describe("a lost GPU context", () => {
  test(
    "is reported, passes the frame through, and the effect comes back when the context is restored",
    { timeout: 180_000 },
    async () => {
      await withPage(session, "engine=webgl2&size=64", async (h) => {
        assert.equal(await api<string>(h.page, "ready"), "ready");
        await api(h.page, "simulateContextLoss");
        const s = await api<{ errors: string[]; backend: string }>(h.page, "stats");
        assert.match(s.errors.at(-1)!, /GPU device\/context was lost/);
        assert.equal(s.backend, "none");
        assert.equal((await effectVsPassThrough(h.page)).max, 0, "the frame changed while the context was lost");
        await api(h.page, "simulateContextRestore");
        await h.page.waitForFunction(() => window.remasterTest.stats().backend === "wasm", null, { timeout: 60_000 });
        const n = (await api<{ inferences: number }>(h.page, "stats")).inferences;
        await h.page.waitForFunction((k) => window.remasterTest.stats().inferences >= k + 2, n, { timeout: 60_000 });
        assert.ok((await effectVsPassThrough(h.page)).mean > 3, "the effect did not come back after the restore");
      });
    },
  );
});

describe("a real WebGPU device loss", () => {
  test("is reported; Babylon makes a new device and the effect runs again on it", { timeout: 240_000 }, async () => {
    await withPage(session, "engine=webgpu&size=64", async (h) => {
      assert.equal(await api<string>(h.page, "ready"), "ready");
      const before = await api<string>(h.page, "deviceLabel");
      await api(h.page, "destroyDevice"); // GPUDevice.destroy(): device.lost resolves, as on a driver reset
      await h.page.waitForFunction(() => window.remasterTest.stats().errors.length > 0, null, { timeout: 60_000 });
      const lost = await api<{ errors: string[]; inferences: number }>(h.page, "stats");
      assert.match(lost.errors[0], /GPU device\/context was lost/);
      await h.page.waitForFunction(
        (n) => window.remasterTest.stats().backend === "webgpu" && window.remasterTest.stats().inferences >= n + 2,
        lost.inferences,
        { timeout: 180_000 },
      );
      assert.notEqual(await api<string>(h.page, "deviceLabel"), before, "Babylon did not make a new device");
      assert.ok((await effectVsPassThrough(h.page)).mean > 3, "the effect did not come back on the new device");
      // Babylon's restore leaves the lost device's leftover-uniform buffer in the post-process's
      // draw context, one more per loss; the plugin frees it (babylon/internals.ts).
      assert.equal(
        await api<number>(h.page, "staleLeftoverUniforms"),
        0,
        "the lost device's uniform buffer is still held",
      );
    });
  });
});

describe("options and camera", () => {
  test(
    "with no active camera at construction, the effect attaches when a camera becomes active",
    { timeout: 120_000 },
    async () => {
      await withPage(session, "engine=webgl2&size=64&latecamera=1", async (h) => {
        assert.equal(await api<string>(h.page, "ready"), "ready");
        const s = await api<{ cameraPostProcesses: number; inferences: number }>(h.page, "stats");
        assert.equal(s.cameraPostProcesses, 1);
        assert.ok((await effectVsPassThrough(h.page)).mean > 3, "the late-attached effect did not change the frame");
      });
    },
  );

  test(
    "precision 'fp16' where float16 cannot run is an error naming why, and the frame passes through",
    { timeout: 120_000 },
    async () => {
      await withPage(session, "engine=webgl2&size=64&precision=fp16", async (h) => {
        assert.match(
          await api<string>(h.page, "ready"),
          /^error: .*precision 'fp16' is not possible: float16 models run on the WebGPU backend only/,
        );
        assert.equal((await effectVsPassThrough(h.page)).max, 0);
      });
    },
  );
});

describe("a corrupt model", () => {
  test(
    "raises an error, the frame passes through unchanged, and the page keeps rendering",
    { timeout: 120_000 },
    async () => {
      await withPage(session, "engine=webgl2&size=64&model=corrupt", async (h) => {
        assert.match(await api<string>(h.page, "ready"), /^error: Remaster model: /);
        const stats = await api<{ errors: string[]; loopFrames: number }>(h.page, "stats");
        assert.equal(stats.errors.length, 1);
        assert.equal((await effectVsPassThrough(h.page)).max, 0, "the frame changed although the model failed");
        await h.page.waitForFunction((n) => window.remasterTest.stats().loopFrames > n + 3, stats.loopFrames);
      });
    },
  );

  test("a missing model file is an error naming the URL", { timeout: 60_000 }, async () => {
    await withPage(session, "engine=webgl2&size=64&model=/models/nope.onnx", async (h) => {
      assert.match(await api<string>(h.page, "ready"), /could not fetch the model \/models\/nope.onnx: HTTP 404/);
    });
  });
});

describe("a model that outputs NaN", () => {
  for (const engine of ["webgl2", "webgpu"]) {
    test(`${engine}: is an error saying so, and the frame passes through unchanged`, { timeout: 180_000 }, async () => {
      const served = { "/models/nan.onnx": nanModel() };
      await withPage(
        session,
        `engine=${engine}&size=64&model=/models/nan.onnx&precision=fp32`,
        async (h) => {
          assert.match(await api<string>(h.page, "ready"), /^error: .*the model output \d+ non-finite (values|pixels)/);
          const s = await api<{ errors: string[]; loopFrames: number }>(h.page, "stats");
          assert.equal(s.errors.length, 1, s.errors.join("; "));
          assert.match(
            s.errors[0],
            /the model output \d+ non-finite (values|pixels) \(NaN\/inf\); the frame passes through/,
          );
          assert.equal((await effectVsPassThrough(h.page)).max, 0, "the frame changed although the model output NaN");
          await h.page.waitForFunction((n) => window.remasterTest.stats().loopFrames > n + 3, s.loopFrames);
        },
        served,
      );
    });
  }
});

describe("a runtime fault in an inference (not the model's, not a device loss)", () => {
  for (const engine of ["webgl2", "webgpu"]) {
    test(
      `${engine}: is reported once, the network restarts and runs again; a fault that keeps coming stops it after 2 restarts`,
      { timeout: 300_000 },
      async () => {
        await withPage(session, `engine=${engine}&size=64`, async (h) => {
          assert.equal(await api<string>(h.page, "ready"), "ready");
          await api(h.page, "failRuns", 1);
          await h.page.waitForFunction(() => window.remasterTest.stats().errors.length > 0, null, { timeout: 60_000 });
          let s = await api<{ errors: string[]; inferences: number; restarts: number }>(h.page, "stats");
          assert.equal(s.errors.length, 1, s.errors.join("; "));
          assert.match(
            s.errors[0],
            /inference failed: injected runtime fault.*the network restarts \(1 of 2 in a row\)/,
          );
          assert.equal(s.restarts, 1);
          await h.page.waitForFunction((n) => window.remasterTest.stats().inferences >= n + 2, s.inferences, {
            timeout: 180_000,
          });
          assert.ok((await effectVsPassThrough(h.page)).mean > 3, "the effect did not come back after the restart");
          assert.equal((await api<{ errors: string[] }>(h.page, "stats")).errors.length, 1, "reported more than once");

          // Every run fails from now on: two more restarts (the count started again after the
          // successful inferences), then the network stops and the frame passes through.
          await api(h.page, "failRuns", 1_000_000);
          await h.page.waitForFunction(() => window.remasterTest.stats().errors.length >= 4, null, {
            timeout: 180_000,
          });
          s = await api<{ errors: string[]; inferences: number; restarts: number }>(h.page, "stats");
          assert.equal(s.restarts, 3);
          assert.match(s.errors[2], /restarts \(2 of 2 in a row\)/);
          assert.match(s.errors[3], /^RemasterPostProcess: inference failed: injected runtime fault[^;]*$/);
          assert.equal((await effectVsPassThrough(h.page)).max, 0, "the frame changed after the network stopped");
          await new Promise((r) => setTimeout(r, 1000));
          assert.equal((await api<{ errors: string[] }>(h.page, "stats")).errors.length, 4, "reported after stopping");
          await api(h.page, "failRuns", 0);
        });
      },
    );
  }
});
