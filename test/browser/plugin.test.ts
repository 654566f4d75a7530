/**
 * RemasterPostProcess end to end in headless Chromium, on both engines: a page whose only Remaster
 * code is `scene.addPostProcess(new RemasterPostProcess())` shows the model's output for its frame
 * (compared with onnxruntime on the same frame outside the browser), the WebGPU path reads no pixel
 * back, and dispose() removes every trace (lifecycle and failures: plugin-lifecycle.test.ts).
 * Small sizes: WebGPU here runs on SwiftShader (correct, slow; its first inference compiles shaders).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { api, diffStats, openPage, referenceOutput, type PageHandle } from "../helpers/remasterPage.ts";
import { useBrowserSession } from "../helpers/session.ts";
import type { RemasterTestApi } from "../../engine-demo/src/remaster-page.ts";

/** What the test page says of Babylon's bind group cache (WebGPU). */
type Cache = ReturnType<RemasterTestApi["bindGroupCache"]>;

const session = useBrowserSession();

for (const [engine, size] of [
  ["webgl2", 128],
  ["webgpu", 64],
] as const) {
  describe(`RemasterPostProcess on ${engine}`, () => {
    let h: PageHandle;
    before(async () => {
      h = await openPage(session, `engine=${engine}&size=${size}`);
    });
    after(async () => {
      await h?.page.context().close();
    });

    test(
      "the one-liner remasters the frame like onnxruntime does outside the browser",
      { timeout: 240_000 },
      async () => {
        assert.equal(await api<string>(h.page, "ready"), "ready");
        const stats = await api<{ backend: string; inferences: number; errors: string[] }>(h.page, "stats");
        assert.equal(stats.backend, engine === "webgpu" ? "webgpu" : "wasm");
        if (engine === "webgl2")
          assert.equal(
            (stats as { asyncReadback?: boolean }).asyncReadback,
            true,
            "WebGL2 should read the frame back through a pixel-pack buffer + fence",
          );
        assert.deepEqual(stats.errors, []);
        const input = Buffer.from(await api<string>(h.page, "capture", false), "base64");
        // The scene is still: let one more inference finish on this exact frame, then compare.
        const before = (await api<{ inferences: number }>(h.page, "stats")).inferences;
        await h.page.waitForFunction((n) => window.remasterTest.stats().inferences >= n + 2, before, {
          timeout: 120_000,
        });
        const remastered = Buffer.from(await api<string>(h.page, "capture", true), "base64");
        const reference = referenceOutput(input, size);
        const d = diffStats(remastered, reference);
        // Tolerance: 8-bit rounding of both sides plus float differences between onnxruntime-web
        // (WASM or WebGPU kernels) and onnxruntime's CPU kernels.
        assert.ok(
          d.mean <= 1.0 && d.p99 <= 4,
          `remastered vs reference: mean ${d.mean.toFixed(3)}, p99 ${d.p99}, max ${d.max}`,
        );
        const changed = diffStats(remastered, input);
        assert.ok(changed.mean > 3, `the effect did not change the frame (mean diff ${changed.mean.toFixed(2)})`);
        assert.deepEqual(h.offsite, []);
      },
    );

    test("every Babylon internal the plugin reaches is there on this engine (a Babylon update that drops one fails here)", async () => {
      assert.deepEqual(await api<string[]>(h.page, "missingInternals"), []);
    });

    if (engine === "webgpu") {
      test(
        "WebGPU: a static-shape session replays a captured graph; float32 where the device lacks shader-f16",
        { timeout: 60_000 },
        async () => {
          const s = await api<{ graphCapture: boolean; precision: string; precisionNote: string; inputWidth: number }>(
            h.page,
            "stats",
          );
          assert.equal(s.inputWidth, size);
          assert.equal(s.graphCapture, true);
          // SwiftShader has no shader-f16 (and Babylon requests no optional feature by default).
          const features = await h.page.evaluate(async () => [...(await navigator.gpu.requestAdapter())!.features]);
          if (!features.includes("shader-f16")) {
            assert.equal(s.precision, "float32");
            assert.match(s.precisionNote, /shader-f16/);
          }
        },
      );

      test(
        "the GPU tensor codec packs and unpacks float32 and float16 (pack2x16float) tensors exactly",
        { timeout: 60_000 },
        async () => {
          for (const dtype of ["float32", "float16"] as const) {
            for (const flipY of [false, true]) {
              const c = await api<{
                width: number;
                height: number;
                source: number[];
                packed: number[];
                tensor: number[];
                unpacked: number[];
              }>(h.page, "codecCheck", [dtype, flipY]);
              const { width: w, height: hh } = c;
              const tol = dtype === "float16" ? 1e-3 : 1e-6;
              for (let y = 0; y < hh; y++) {
                for (let x = 0; x < w; x++) {
                  const sy = flipY ? hh - 1 - y : y; // packed row y comes from source row sy
                  for (let ch = 0; ch < 3; ch++) {
                    const want = c.source[(sy * w + x) * 4 + ch] / 255;
                    const got = c.packed[ch * w * hh + y * w + x];
                    assert.ok(
                      Math.abs(got - want) <= tol,
                      `${dtype} flip=${flipY} pack (${x},${y},${ch}): ${got} vs ${want}`,
                    );
                    const stored = c.unpacked[(sy * w + x) * 4 + ch]; // tensor row y lands in texture row sy
                    assert.equal(
                      stored,
                      Math.round(c.tensor[ch * w * hh + y * w + x] * 255),
                      `${dtype} flip=${flipY} unpack (${x},${y},${ch})`,
                    );
                  }
                }
              }
            }
          }
        },
      );

      test("the WebGPU path reads no pixel back per frame", { timeout: 120_000 }, async () => {
        const s0 = await api<{ inferences: number; counters: { mapAsync: number; readPixels: number } }>(
          h.page,
          "stats",
        );
        await h.page.waitForFunction((n) => window.remasterTest.stats().inferences >= n + 2, s0.inferences, {
          timeout: 120_000,
        });
        const s1 = await api<{
          inferences: number;
          frames: number;
          counters: { mapAsync: number; readPixels: number };
        }>(h.page, "stats");
        assert.ok(s1.inferences >= s0.inferences + 2);
        assert.equal(
          s1.counters.mapAsync - s0.counters.mapAsync,
          0,
          "GPUBuffer.mapAsync was called during remastered frames",
        );
        assert.equal(
          s1.counters.readPixels - s0.counters.readPixels,
          0,
          "engine.readPixels was called during remastered frames",
        );
      });
    }

    if (engine === "webgpu") {
      test(
        "a resized frame gets a new static-shape session whose output still matches onnxruntime",
        { timeout: 240_000 },
        async () => {
          const before = await api<Cache>(h.page, "bindGroupCache");
          // The composite has drawn with its result texture: Babylon's cache holds it, under the key we assume.
          assert.ok(
            before.resultTextureId !== null && before.textureIds?.includes(before.resultTextureId),
            JSON.stringify(before),
          );
          const n = size - 16;
          await api(h.page, "resize", n);
          await h.page.waitForFunction((w) => window.remasterTest.stats().inputWidth === w, n, { timeout: 120_000 });
          const s0 = await api<{ inferences: number }>(h.page, "stats");
          await h.page.waitForFunction((k) => window.remasterTest.stats().inferences >= k + 2, s0.inferences, {
            timeout: 120_000,
          });
          const s = await api<{ graphCapture: boolean; errors: string[] }>(h.page, "stats");
          assert.deepEqual(s.errors, []);
          assert.equal(s.graphCapture, true);
          const input = Buffer.from(await api<string>(h.page, "capture", false), "base64");
          assert.equal(input.length, n * n * 4);
          const k = (await api<{ inferences: number }>(h.page, "stats")).inferences;
          await h.page.waitForFunction((c) => window.remasterTest.stats().inferences >= c + 2, k, { timeout: 120_000 });
          const remastered = Buffer.from(await api<string>(h.page, "capture", true), "base64");
          // The old result texture's bind groups left Babylon's cache with it (they stayed for the device's life).
          const after = await api<Cache>(h.page, "bindGroupCache");
          assert.ok(
            after.resultTextureId !== null && after.resultTextureId !== before.resultTextureId,
            JSON.stringify(after),
          );
          assert.ok(after.textureIds?.includes(after.resultTextureId), JSON.stringify(after));
          assert.ok(!after.textureIds?.includes(before.resultTextureId!), JSON.stringify({ before, after }));
          const d = diffStats(remastered, referenceOutput(input, n));
          assert.ok(
            d.mean <= 1.0 && d.p99 <= 4,
            `after resize, remastered vs reference: mean ${d.mean.toFixed(3)}, p99 ${d.p99}, max ${d.max}`,
          );
        },
      );
    }

    test("dispose() removes the effect and every GPU object it created", { timeout: 60_000 }, async () => {
      const before = await api<Cache>(h.page, "bindGroupCache");
      await api(h.page, "dispose");
      // Babylon destroys textures it was given (the wrapped result) after the frame that may still use them.
      const f0 = (await api<{ loopFrames: number }>(h.page, "stats")).loopFrames;
      await h.page.waitForFunction((n) => window.remasterTest.stats().loopFrames > n + 2, f0);
      const s = await api<{
        postProcesses: number;
        cameraPostProcesses: number;
        counters: {
          buffersCreated: string[];
          buffersDestroyed: string[];
          texturesCreated: string[];
          texturesDestroyed: string[];
        };
      }>(h.page, "stats");
      assert.equal(s.postProcesses, 0);
      assert.equal(s.cameraPostProcesses, 0);
      // Ours, and Babylon's uniform buffer of the composite effect (WebGPU: it outlived the effect until 2026-11-24).
      const mine = (l: string[]) =>
        l.filter((x) => x.startsWith("remaster-") || x.includes("remasterComposite")).sort();
      assert.deepEqual(mine(s.counters.buffersDestroyed), mine(s.counters.buffersCreated));
      assert.deepEqual(mine(s.counters.texturesDestroyed), mine(s.counters.texturesCreated));
      if (engine === "webgpu")
        assert.ok(mine(s.counters.buffersCreated).length >= 3, "the WebGPU path should have created its buffers");
      if (engine === "webgpu") {
        // The composite's bind groups of its textures (its input render target, its result, the blank it
        // showed before the first result) left Babylon's bind group cache with them; they stayed there
        // for the device's life until 2026-12-07.
        const composite = [before.inputTextureId, before.resultTextureId, before.blankTextureId];
        assert.ok(
          before.inputTextureId !== null && before.textureIds?.includes(before.inputTextureId),
          `the composite drew with its input: ${JSON.stringify(before)}`,
        );
        const after = await api<Cache>(h.page, "bindGroupCache");
        const left = composite.filter((id) => id !== null && after.textureIds?.includes(id));
        assert.deepEqual(left, [], JSON.stringify({ before, after }));
      }
      const frames = (await api<{ loopFrames: number }>(h.page, "stats")).loopFrames;
      await h.page.waitForFunction((n) => window.remasterTest.stats().loopFrames > n + 2, frames); // still rendering
    });
  });
}
