import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkContract, readOnnxMetadata } from "../../plugin/src/core/modelMetadata.ts";
import { inputSize, resolveOptions } from "../../plugin/src/core/options.ts";
import { nchwToRgba, rgbaToNchw } from "../../plugin/src/core/tensorLayout.ts";
import { COMPOSITE_SAMPLERS, COMPOSITE_UNIFORMS, compositeGLSL, compositeWGSL } from "../../plugin/src/shaders/remasterComposite.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

test("the composite shader's GLSL and WGSL twins declare the same uniforms and samplers", () => {
  const glslUniforms = [...compositeGLSL.matchAll(/uniform\s+float\s+(\w+)/g)].map((m) => m[1]).sort();
  const wgslUniforms = [...compositeWGSL.matchAll(/uniform\s+(\w+)\s*:/g)].map((m) => m[1]).sort();
  assert.deepEqual(glslUniforms, [...COMPOSITE_UNIFORMS].sort());
  assert.deepEqual(wgslUniforms, [...COMPOSITE_UNIFORMS].sort());
  const glslSamplers = [...compositeGLSL.matchAll(/uniform\s+sampler2D\s+(\w+)/g)].map((m) => m[1]).sort();
  const wgslSamplers = [...compositeWGSL.matchAll(/var\s+(\w+)\s*:\s*texture_2d/g)].map((m) => m[1]).sort();
  assert.deepEqual(glslSamplers, ["textureSampler", ...COMPOSITE_SAMPLERS].sort());
  assert.deepEqual(wgslSamplers, glslSamplers);
});

test("the shipped model's metadata satisfies the plugin's contract", () => {
  const c = checkContract(readOnnxMetadata(readFileSync(join(root, "models/remaster-realtime.onnx"))));
  assert.equal(c.inputName, "input");
  assert.equal(c.outputName, "output");
  assert.equal(c.dtype, "float32");
  assert.equal(c.preset, "realtime");
  assert.ok(c.flopsPerOutputPixel! <= 10_200);
  const half = checkContract(readOnnxMetadata(readFileSync(join(root, "models/remaster-realtime.fp16.onnx"))));
  assert.equal(half.dtype, "float16");
});

test("bad model bytes and bad metadata are errors naming the problem", () => {
  assert.throws(() => readOnnxMetadata(new Uint8Array(8)), /too small to be an ONNX model/);
  assert.throws(() => readOnnxMetadata(new Uint8Array(4096).map((_, i) => (i * 37) & 255)), /Remaster model: /);
  assert.throws(() => checkContract({}), /no "remaster" metadata/);
  const meta = { input: { name: "input", layout: "NHWC", channels: "RGB", range: [0, 1], dtype: "float32" }, output: { name: "output", layout: "NCHW", channels: "BGR", range: [0, 255], dtype: "float32" } };
  assert.throws(() => checkContract({ remaster: JSON.stringify(meta) }), /input layout is NHWC, expected NCHW; output range is \[0,255\], expected \[0,1\]; output channels are BGR/);
});

test("options: documented defaults, unknown options and bad values are errors", () => {
  const d = resolveOptions({}, { model: "m.onnx", wasmPaths: "/ort/" });
  assert.deepEqual({ ...d, camera: undefined }, { model: "m.onnx", camera: undefined, scale: 1, strength: 1, backend: "auto", enabled: true, wasmPaths: "/ort/" });
  assert.throws(() => resolveOptions({ strenght: 1 } as never, { model: "", wasmPaths: "" }), /unknown option\(s\) strenght/);
  assert.throws(() => resolveOptions({ scale: 0 }, { model: "", wasmPaths: "" }), /scale must be in \(0, 1\]/);
  assert.throws(() => resolveOptions({ backend: "webgl" as never }, { model: "", wasmPaths: "" }), /backend must be auto, webgpu or wasm/);
  assert.deepEqual(inputSize(1280, 720, 0.5, 8), { width: 640, height: 360 });
  assert.deepEqual(inputSize(100, 60, 1, 8), { width: 96, height: 56 });
});

test("frame <-> tensor conversions round-trip, with and without the WebGL row flip", () => {
  const w = 3;
  const h = 2;
  const rgba = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 29) % 256));
  for (const flip of [false, true]) {
    const t = rgbaToNchw(rgba, w, h, flip);
    assert.equal(t[0], Math.fround((flip ? rgba[1 * w * 4] : rgba[0]) / 255));
    assert.deepEqual(nchwToRgba(t, w, h, flip), rgba);
  }
});
