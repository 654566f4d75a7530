/**
 * RemasterPostProcess end to end in headless Chromium, on both engines: a page whose only Remaster
 * code is `scene.addPostProcess(new RemasterPostProcess())` shows the model's output for its frame
 * (compared with onnxruntime on the same frame outside the browser), the WebGPU path reads no pixel
 * back, a corrupt model leaves the frame untouched, and dispose() removes every trace.
 * Small sizes: WebGPU here runs on SwiftShader (correct, slow; its first inference compiles shaders).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { useBrowserSession } from "../helpers/session.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const python = join(root, "training/.venv/bin/python");
const MODEL = join(root, "models/remaster-realtime.onnx");

const session = useBrowserSession();

interface PageHandle { page: Page; offsite: string[] }

async function openPage(query: string): Promise<PageHandle> {
  const context = await session.browser.newContext({ viewport: { width: 400, height: 400 } });
  const page = await context.newPage();
  const offsite: string[] = [];
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1" || url.protocol === "blob:" || url.protocol === "data:") return route.continue();
    offsite.push(url.href);
    return route.abort();
  });
  await page.goto(`${session.server.url}remaster.html?${query}`);
  await page.waitForFunction(() => document.body.dataset.ready === "true" || document.body.dataset.error, null, { timeout: 120_000 });
  const error = await page.evaluate(() => document.body.dataset.error);
  assert.equal(error, undefined, `page failed: ${error}`);
  return { page, offsite };
}

/** Opens the test page, runs `fn` on it, and closes it whatever happens. */
async function withPage(query: string, fn: (h: PageHandle) => Promise<void>): Promise<void> {
  const h = await openPage(query);
  try {
    await fn(h);
  } finally {
    await h.page.context().close();
  }
}

const api = <T>(page: Page, fn: string, arg?: unknown) => page.evaluate(([f, a]) => (window as any).remasterTest[f as string](a), [fn, arg] as const) as Promise<T>;

function referenceOutput(input: Buffer, size: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "remaster-ref-"));
  writeFileSync(join(dir, "in.rgba"), input);
  execFileSync(python, [join(root, "test/helpers/reference_infer.py"), MODEL, join(dir, "in.rgba"), join(dir, "out.rgba"), String(size), String(size)]);
  return readFileSync(join(dir, "out.rgba"));
}

/** The frame with the effect vs the pass-through frame (the effect disabled), on the same still frame. */
async function effectVsPassThrough(page: Page): Promise<{ mean: number; p99: number; max: number }> {
  const on = Buffer.from(await api<string>(page, "capture", true), "base64");
  const off = Buffer.from(await api<string>(page, "capture", false), "base64");
  return diffStats(on, off);
}

function diffStats(a: Buffer, b: Buffer): { mean: number; p99: number; max: number } {
  const d: number[] = [];
  for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) d.push(Math.abs(a[i + c] - b[i + c]));
  d.sort((x, y) => x - y);
  return { mean: d.reduce((s, v) => s + v, 0) / d.length, p99: d[Math.floor(d.length * 0.99)], max: d[d.length - 1] };
}

for (const [engine, size] of [["webgl2", 128], ["webgpu", 64]] as const) {
  describe(`RemasterPostProcess on ${engine}`, () => {
    let h: PageHandle;
    before(async () => {
      h = await openPage(`engine=${engine}&size=${size}`);
    });
    after(async () => {
      await h?.page.context().close();
    });

    test("the one-liner remasters the frame like onnxruntime does outside the browser", { timeout: 240_000 }, async () => {
      assert.equal(await api<string>(h.page, "ready"), "ready");
      const stats = await api<{ backend: string; inferences: number; errors: string[] }>(h.page, "stats");
      assert.equal(stats.backend, engine === "webgpu" ? "webgpu" : "wasm");
      if (engine === "webgl2") assert.equal((stats as { asyncReadback?: boolean }).asyncReadback, true, "WebGL2 should read the frame back through a pixel-pack buffer + fence");
      assert.deepEqual(stats.errors, []);
      const input = Buffer.from(await api<string>(h.page, "capture", false), "base64");
      // The scene is still: let one more inference finish on this exact frame, then compare.
      const before = (await api<{ inferences: number }>(h.page, "stats")).inferences;
      await h.page.waitForFunction((n) => (window as any).remasterTest.stats().inferences >= n + 2, before, { timeout: 120_000 });
      const remastered = Buffer.from(await api<string>(h.page, "capture", true), "base64");
      const reference = referenceOutput(input, size);
      const d = diffStats(remastered, reference);
      // Tolerance: 8-bit rounding of both sides plus float differences between onnxruntime-web
      // (WASM or WebGPU kernels) and onnxruntime's CPU kernels.
      assert.ok(d.mean <= 1.0 && d.p99 <= 4, `remastered vs reference: mean ${d.mean.toFixed(3)}, p99 ${d.p99}, max ${d.max}`);
      const changed = diffStats(remastered, input);
      assert.ok(changed.mean > 3, `the effect did not change the frame (mean diff ${changed.mean.toFixed(2)})`);
      assert.deepEqual(h.offsite, []);
    });

    test("every Babylon internal the plugin reaches is there on this engine (a Babylon update that drops one fails here)", async () => {
      assert.deepEqual(await api<string[]>(h.page, "missingInternals"), []);
    });

    if (engine === "webgpu") {
      test("WebGPU: a static-shape session replays a captured graph; float32 where the device lacks shader-f16", { timeout: 60_000 }, async () => {
        const s = await api<{ graphCapture: boolean; precision: string; precisionNote: string; inputWidth: number }>(h.page, "stats");
        assert.equal(s.inputWidth, size);
        assert.equal(s.graphCapture, true);
        // SwiftShader has no shader-f16 (and Babylon requests no optional feature by default).
        const features = await h.page.evaluate(async () => [...(await navigator.gpu.requestAdapter())!.features]);
        if (!features.includes("shader-f16")) {
          assert.equal(s.precision, "float32");
          assert.match(s.precisionNote, /shader-f16/);
        }
      });

      test("the GPU tensor codec packs and unpacks float32 and float16 (pack2x16float) tensors exactly", { timeout: 60_000 }, async () => {
        for (const dtype of ["float32", "float16"] as const) {
          for (const flipY of [false, true]) {
            const c = await api<{ width: number; height: number; source: number[]; packed: number[]; tensor: number[]; unpacked: number[] }>(h.page, "codecCheck", [dtype, flipY]);
            const { width: w, height: hh } = c;
            const tol = dtype === "float16" ? 1e-3 : 1e-6;
            for (let y = 0; y < hh; y++) {
              for (let x = 0; x < w; x++) {
                const sy = flipY ? hh - 1 - y : y; // packed row y comes from source row sy
                for (let ch = 0; ch < 3; ch++) {
                  const want = c.source[(sy * w + x) * 4 + ch] / 255;
                  const got = c.packed[ch * w * hh + y * w + x];
                  assert.ok(Math.abs(got - want) <= tol, `${dtype} flip=${flipY} pack (${x},${y},${ch}): ${got} vs ${want}`);
                  const stored = c.unpacked[(sy * w + x) * 4 + ch]; // tensor row y lands in texture row sy
                  assert.equal(stored, Math.round(c.tensor[ch * w * hh + y * w + x] * 255), `${dtype} flip=${flipY} unpack (${x},${y},${ch})`);
                }
              }
            }
          }
        }
      });

      test("the WebGPU path reads no pixel back per frame", { timeout: 120_000 }, async () => {
        const s0 = await api<{ inferences: number; counters: { mapAsync: number; readPixels: number } }>(h.page, "stats");
        await h.page.waitForFunction((n) => (window as any).remasterTest.stats().inferences >= n + 2, s0.inferences, { timeout: 120_000 });
        const s1 = await api<{ inferences: number; frames: number; counters: { mapAsync: number; readPixels: number } }>(h.page, "stats");
        assert.ok(s1.inferences >= s0.inferences + 2);
        assert.equal(s1.counters.mapAsync - s0.counters.mapAsync, 0, "GPUBuffer.mapAsync was called during remastered frames");
        assert.equal(s1.counters.readPixels - s0.counters.readPixels, 0, "engine.readPixels was called during remastered frames");
      });
    }

    if (engine === "webgpu") {
      test("a resized frame gets a new static-shape session whose output still matches onnxruntime", { timeout: 240_000 }, async () => {
        const n = size - 16;
        await api(h.page, "resize", n);
        await h.page.waitForFunction((w) => (window as any).remasterTest.stats().inputWidth === w, n, { timeout: 120_000 });
        const s0 = await api<{ inferences: number }>(h.page, "stats");
        await h.page.waitForFunction((k) => (window as any).remasterTest.stats().inferences >= k + 2, s0.inferences, { timeout: 120_000 });
        const s = await api<{ graphCapture: boolean; errors: string[] }>(h.page, "stats");
        assert.deepEqual(s.errors, []);
        assert.equal(s.graphCapture, true);
        const input = Buffer.from(await api<string>(h.page, "capture", false), "base64");
        assert.equal(input.length, n * n * 4);
        const k = (await api<{ inferences: number }>(h.page, "stats")).inferences;
        await h.page.waitForFunction((c) => (window as any).remasterTest.stats().inferences >= c + 2, k, { timeout: 120_000 });
        const remastered = Buffer.from(await api<string>(h.page, "capture", true), "base64");
        const d = diffStats(remastered, referenceOutput(input, n));
        assert.ok(d.mean <= 1.0 && d.p99 <= 4, `after resize, remastered vs reference: mean ${d.mean.toFixed(3)}, p99 ${d.p99}, max ${d.max}`);
      });
    }

    test("dispose() removes the effect and every GPU object it created", { timeout: 60_000 }, async () => {
      await api(h.page, "dispose");
      // Babylon destroys textures it was given (the wrapped result) after the frame that may still use them.
      const f0 = (await api<{ loopFrames: number }>(h.page, "stats")).loopFrames;
      await h.page.waitForFunction((n) => (window as any).remasterTest.stats().loopFrames > n + 2, f0);
      const s = await api<{ postProcesses: number; cameraPostProcesses: number; counters: { buffersCreated: string[]; buffersDestroyed: string[]; texturesCreated: string[]; texturesDestroyed: string[] } }>(h.page, "stats");
      assert.equal(s.postProcesses, 0);
      assert.equal(s.cameraPostProcesses, 0);
      const mine = (l: string[]) => l.filter((x) => x.startsWith("remaster-")).sort();
      assert.deepEqual(mine(s.counters.buffersDestroyed), mine(s.counters.buffersCreated));
      assert.deepEqual(mine(s.counters.texturesDestroyed), mine(s.counters.texturesCreated));
      if (engine === "webgpu") assert.ok(mine(s.counters.buffersCreated).length >= 3, "the WebGPU path should have created its buffers");
      const frames = (await api<{ loopFrames: number }>(h.page, "stats")).loopFrames;
      await h.page.waitForFunction((n) => (window as any).remasterTest.stats().loopFrames > n + 2, frames); // still rendering
    });
  });
}

describe("a lost GPU context", () => {
  test("is reported, passes the frame through, and the effect comes back when the context is restored", { timeout: 180_000 }, async () => {
    await withPage("engine=webgl2&size=64", async (h) => {
      assert.equal(await api<string>(h.page, "ready"), "ready");
      await api(h.page, "simulateContextLoss");
      const s = await api<{ errors: string[]; backend: string }>(h.page, "stats");
      assert.match(s.errors.at(-1)!, /GPU device\/context was lost/);
      assert.equal(s.backend, "none");
      assert.equal((await effectVsPassThrough(h.page)).max, 0, "the frame changed while the context was lost");
      await api(h.page, "simulateContextRestore");
      await h.page.waitForFunction(() => (window as any).remasterTest.stats().backend === "wasm", null, { timeout: 60_000 });
      const n = (await api<{ inferences: number }>(h.page, "stats")).inferences;
      await h.page.waitForFunction((k) => (window as any).remasterTest.stats().inferences >= k + 2, n, { timeout: 60_000 });
      assert.ok((await effectVsPassThrough(h.page)).mean > 3, "the effect did not come back after the restore");
    });
  });
});

describe("a real WebGPU device loss", () => {
  test("is reported; Babylon makes a new device and the effect runs again on it", { timeout: 240_000 }, async () => {
    await withPage("engine=webgpu&size=64", async (h) => {
      assert.equal(await api<string>(h.page, "ready"), "ready");
      const before = await api<string>(h.page, "deviceLabel");
      await api(h.page, "destroyDevice"); // GPUDevice.destroy(): device.lost resolves, as on a driver reset
      await h.page.waitForFunction(() => (window as any).remasterTest.stats().errors.length > 0, null, { timeout: 60_000 });
      const lost = await api<{ errors: string[]; inferences: number }>(h.page, "stats");
      assert.match(lost.errors[0], /GPU device\/context was lost/);
      await h.page.waitForFunction((n) => (window as any).remasterTest.stats().backend === "webgpu" && (window as any).remasterTest.stats().inferences >= n + 2, lost.inferences, { timeout: 180_000 });
      assert.notEqual(await api<string>(h.page, "deviceLabel"), before, "Babylon did not make a new device");
      assert.ok((await effectVsPassThrough(h.page)).mean > 3, "the effect did not come back on the new device");
    });
  });
});

describe("options and camera", () => {
  test("with no active camera at construction, the effect attaches when a camera becomes active", { timeout: 120_000 }, async () => {
    await withPage("engine=webgl2&size=64&latecamera=1", async (h) => {
      assert.equal(await api<string>(h.page, "ready"), "ready");
      const s = await api<{ cameraPostProcesses: number; inferences: number }>(h.page, "stats");
      assert.equal(s.cameraPostProcesses, 1);
      assert.ok((await effectVsPassThrough(h.page)).mean > 3, "the late-attached effect did not change the frame");
    });
  });

  test("precision 'fp16' where float16 cannot run is an error naming why, and the frame passes through", { timeout: 120_000 }, async () => {
    await withPage("engine=webgl2&size=64&precision=fp16", async (h) => {
      assert.match(await api<string>(h.page, "ready"), /^error: .*precision 'fp16' is not possible: float16 models run on the WebGPU backend only/);
      assert.equal((await effectVsPassThrough(h.page)).max, 0);
    });
  });
});

describe("a corrupt model", () => {
  test("raises an error, the frame passes through unchanged, and the page keeps rendering", { timeout: 120_000 }, async () => {
    await withPage("engine=webgl2&size=64&model=corrupt", async (h) => {
      assert.match(await api<string>(h.page, "ready"), /^error: Remaster model: /);
      const stats = await api<{ errors: string[]; loopFrames: number }>(h.page, "stats");
      assert.equal(stats.errors.length, 1);
      assert.equal((await effectVsPassThrough(h.page)).max, 0, "the frame changed although the model failed");
      await h.page.waitForFunction((n) => (window as any).remasterTest.stats().loopFrames > n + 3, stats.loopFrames);
    });
  });

  test("a missing model file is an error naming the URL", { timeout: 60_000 }, async () => {
    await withPage("engine=webgl2&size=64&model=/models/nope.onnx", async (h) => {
      assert.match(await api<string>(h.page, "ready"), /could not fetch the model \/models\/nope.onnx: HTTP 404/);
    });
  });
});
