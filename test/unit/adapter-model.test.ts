/**
 * An adapted model as a game loads it: `npm run export -- --adapter` merges a LoRA adapter (here
 * one with random updates on the shipped base) into one ONNX file that the plugin's loader
 * accepts with `model:` and `modelFp16:`, with the shipped model's contract and cost, and that
 * onnxruntime runs to a different picture than the base's.
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

const MAKE_ADAPTER = `
import sys, torch
from pathlib import Path
from remaster.base_model import load_base
from remaster.lora import add_adapters, plan_ranks, save_adapter
base_file, out = sys.argv[1], Path(sys.argv[2])
model, info = load_base(base_file)
ranks = plan_ranks(model, 4, -1, ["encoder", "unet", "decoder"])
add_adapters(model, ranks)
torch.manual_seed(0)
for n, p in model.named_parameters():
    if "lora_B" in n:
        torch.nn.init.normal_(p, std=0.02)
save_adapter(model, out / "adapter", {"base": {"path": info["path"], "sha256": info["sha256"]}, "ranks": ranks,
             "training_config": {"dataset_dir": []}, "training_step": 0})
`;

async function run(bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ input: new ort.Tensor("float32", x, [1, 3, 32, 32]) });
  return out.output.data as Float32Array;
}

test(
  "an adapter merged by export loads in the plugin like the shipped model, at the same cost",
  { timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "remaster-adapter-"));
    const base = join(root, "models/remaster-realtime.base.safetensors");
    const make = spawnSync(python, ["-c", MAKE_ADAPTER, base, dir], { cwd: join(root, "training"), encoding: "utf8" });
    assert.equal(make.status, 0, make.stderr);
    const out = join(dir, "my-game.onnx");
    const exp = spawnSync(python, ["-m", "remaster.export", "--adapter", join(dir, "adapter"), "--out", out], {
      cwd: join(root, "training"),
      encoding: "utf8",
    });
    assert.equal(exp.status, 0, exp.stderr);

    const fp32 = new Uint8Array(readFileSync(out));
    const fp16 = new Uint8Array(readFileSync(join(dir, "my-game.fp16.onnx")));
    const shipped = new Uint8Array(readFileSync(join(root, "models/remaster-realtime.onnx")));
    const choice = { backend: "webgpu" as const, shaderF16: true, precision: "auto" as const };
    assert.equal((await loadModel({ ...choice, model: fp32, modelFp16: fp16 })).contract.dtype, "float16");
    const loaded = await loadModel({ ...choice, model: fp32, modelFp16: null });
    const reference = await loadModel({ ...choice, model: shipped, modelFp16: null });
    const { raw: _a, ...contract } = loaded.contract;
    const { raw: _b, ...expected } = reference.contract;
    assert.deepEqual(contract, expected); // same names, dtype, size multiple, upscale, FLOPs per pixel

    const meta = JSON.parse(readOnnxMetadata(fp32).remaster);
    const shippedMeta = JSON.parse(readOnnxMetadata(shipped).remaster);
    assert.equal(meta.flops_per_frame, shippedMeta.flops_per_frame); // merged: no extra work per frame
    assert.equal(meta.adapter.base.file, "remaster-realtime.base.safetensors");
    assert.equal(meta.adapter.ranks.join(","), "2,4");

    const x = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => ((i * 7919) % 255) / 255);
    const [a, b] = [await run(fp32, x), await run(shipped, x)];
    const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    assert.ok(diff > 1e-3, `the adapted model's output equals the base's (max diff ${diff})`);
  },
);
