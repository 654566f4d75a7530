import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkContract, readOnnxInputDims, readOnnxMetadata } from "../../plugin/src/core/modelMetadata.ts";
import { assertOrtOnDevice } from "../../plugin/src/core/ort.ts";
import { freeDimensionsFor } from "../../plugin/src/webgpu/gpuPipeline.ts";
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
  const halfBytes = readFileSync(join(root, "models/remaster-realtime.fp16.onnx"));
  const half = checkContract(readOnnxMetadata(halfBytes));
  assert.equal(half.dtype, "float16");
  // Symbolic height/width, which the WebGPU path fixes per frame size for static-shape sessions.
  assert.deepEqual(readOnnxInputDims(halfBytes), { input: [1, 3, "height", "width"] });
});

test("static shapes for graph capture: symbolic dims get the frame's size, fixed ones must match", () => {
  assert.deepEqual(freeDimensionsFor([1, 3, "height", "width"], 640, 360), { height: 360, width: 640 });
  assert.deepEqual(freeDimensionsFor(["batch", 3, "h", "w"], 64, 32), { batch: 1, h: 32, w: 64 });
  assert.throws(() => freeDimensionsFor([1, 3, 256, 256], 640, 360), /fixed input size \(dim 2 = 256\)/);
  assert.throws(() => freeDimensionsFor([1, 4, "h", "w"], 64, 64), /dim 1 is 4, expected 3/);
  assert.throws(() => freeDimensionsFor([1, 3, "h"], 64, 64), /has 3 dims, expected 4/);
});

test("device guard: a runtime holding a GPUDevice of its own is refused, ours or none is accepted", async () => {
  const ours = { label: "babylon" } as unknown as GPUDevice;
  const theirs = { label: "ort" } as unknown as GPUDevice;
  await assert.rejects(assertOrtOnDevice(theirs, ours), /GPUDevice of its own.*onnxruntime-web\/webgpu/);
  await assert.rejects(assertOrtOnDevice(Promise.resolve(theirs), ours), /GPUDevice of its own/);
  await assertOrtOnDevice(undefined, ours);
  await assertOrtOnDevice(Promise.resolve(ours), ours);
});

test("bad model bytes and bad metadata are errors naming the problem", () => {
  assert.throws(() => readOnnxMetadata(new Uint8Array(8)), /too small to be an ONNX model/);
  assert.throws(() => readOnnxMetadata(new Uint8Array(4096).map((_, i) => (i * 37) & 255)), /Remaster model: /);
  assert.throws(() => checkContract({}), /no "remaster" metadata/);
  const meta = { input: { name: "input", layout: "NHWC", channels: "RGB", range: [0, 1], dtype: "float32" }, output: { name: "output", layout: "NCHW", channels: "BGR", range: [0, 255], dtype: "float32" } };
  assert.throws(() => checkContract({ remaster: JSON.stringify(meta) }), /input layout is NHWC, expected NCHW; output range is \[0,255\], expected \[0,1\]; output channels are BGR/);
});

test("options: documented defaults, unknown options and bad values are errors", () => {
  const defaults = { model: "m.onnx", modelFp16: "m.fp16.onnx", wasmPaths: "/ort/" };
  const d = resolveOptions({}, defaults);
  assert.deepEqual({ ...d, camera: undefined }, { model: "m.onnx", modelFp16: "m.fp16.onnx", precision: "auto", graphCapture: true, profile: false, asyncReadback: true, camera: undefined, scale: 1, strength: 1, backend: "auto", enabled: true, wasmPaths: "/ort/" });
  // A model of one's own has no float16 twin unless one is given.
  assert.equal(resolveOptions({ model: "mine.onnx" }, defaults).modelFp16, null);
  assert.equal(resolveOptions({ model: "mine.onnx", modelFp16: "mine16.onnx" }, defaults).modelFp16, "mine16.onnx");
  assert.throws(() => resolveOptions({ strenght: 1 } as never, defaults), /unknown option\(s\) strenght/);
  assert.throws(() => resolveOptions({ scale: 0 }, defaults), /scale must be in \(0, 1\]/);
  assert.throws(() => resolveOptions({ backend: "webgl" as never }, defaults), /backend must be auto, webgpu or wasm/);
  assert.throws(() => resolveOptions({ precision: "int8" as never }, defaults), /precision must be auto, fp32 or fp16/);
  assert.throws(() => resolveOptions({ graphCapture: "yes" as never }, defaults), /graphCapture must be a boolean/);
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
