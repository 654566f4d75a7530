/**
 * Issue #12: a consistency-distilled student as a game loads it. `npm run export -- --distilled
 * CKPT --steps n` writes one ONNX graph (n steps unrolled, fixed noise) that the plugin's loader
 * accepts with `model:` like the shipped model: same contract; the 1-step student at the shipped
 * model's cost per pixel (within 1%), the 4-step one dearer; both run in one session call and
 * give a finite picture of the frame's size. The run is tiny (a few steps on 32x32 frames): this
 * checks the plumbing, not the quality (bench/results/distill.md has that).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { loadModel } from "../../plugin/src/core/modelLoader.ts";
import { readOnnxMetadata } from "../../plugin/src/core/modelMetadata.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const python = join(root, "training/.venv/bin/python");

async function run(bytes: Uint8Array, x: Float32Array, h: number, w: number) {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ input: new ort.Tensor("float32", x, [1, 3, h, w]) });
  return out.output;
}

test(
  "a distilled student (1 and 4 steps) loads in the plugin like the shipped model",
  { timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "remaster-distilled-"));
    const make = spawnSync(python, [join(root, "test/helpers/distilled_model.py"), dir, "1", "4"], {
      encoding: "utf8",
    });
    assert.equal(make.status, 0, make.stderr.slice(-3000));

    const shipped = new Uint8Array(readFileSync(join(root, "models/remaster-realtime.onnx")));
    const choice = { backend: "wasm" as const, shaderF16: false, precision: "auto" as const };
    const reference = await loadModel({ ...choice, model: shipped, modelFp16: null });
    const { raw: _r, flopsPerOutputPixel: shippedFlops, preset: _p, ...expected } = reference.contract;
    const flops: Record<number, number> = {};
    for (const n of [1, 4]) {
      const bytes = new Uint8Array(readFileSync(join(dir, `student-${n}.onnx`)));
      const loaded = await loadModel({ ...choice, model: bytes, modelFp16: null });
      const { raw: _a, flopsPerOutputPixel, preset, ...contract } = loaded.contract;
      assert.deepEqual(contract, expected); // names, dtype, size multiple, upscale
      assert.equal(preset, `distilled-${n}step`);
      flops[n] = flopsPerOutputPixel ?? NaN;
      const meta = JSON.parse(readOnnxMetadata(bytes).remaster);
      assert.equal(meta.sampling_steps, n);
      assert.equal(meta.timesteps.length, n);

      const [h, w] = [24, 40]; // not a multiple of the noise tile: the graph tiles and crops it
      const x = Float32Array.from({ length: 3 * h * w }, (_, i) => ((i * 7919) % 255) / 255);
      const y = await run(bytes, x, h, w);
      assert.deepEqual(y.dims, [1, 3, h, w]);
      assert.ok((y.data as Float32Array).every((v) => Number.isFinite(v) && v >= 0 && v <= 1));
    }
    assert.ok(Math.abs(flops[1] / (shippedFlops ?? NaN) - 1) < 0.01, `1 step: ${flops[1]} vs ${shippedFlops}`);
    assert.ok(flops[4] > flops[1] * 1.05, `4 steps cost more: ${flops[4]} vs ${flops[1]}`);
  },
);
