import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkContract, readOnnxInputDims, readOnnxMetadata } from "../../plugin/src/core/modelMetadata.ts";
import { assertOrtOnDevice } from "../../plugin/src/core/ort.ts";
import { freeDimensionsFor } from "../../plugin/src/webgpu/gpuPipeline.ts";
import { inputSize, OPTION_DEFAULTS, resolveOptions } from "../../plugin/src/core/options.ts";
import { loadModel, type ModelChoice } from "../../plugin/src/core/modelLoader.ts";
import { nchwToRgba, resizeNearest, rgbaToNchw } from "../../plugin/src/core/tensorLayout.ts";
import {
  bindGroupCacheContents,
  BoundTextures,
  forgetTextureBindGroups,
  INTERNALS,
  missingInternals,
} from "../../plugin/src/babylon/internals.ts";
import {
  COMPOSITE_SAMPLERS,
  COMPOSITE_UNIFORMS,
  compositeGLSL,
  compositeWGSL,
} from "../../plugin/src/shaders/remasterComposite.ts";

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
  const meta = {
    input: { name: "input", layout: "NHWC", channels: "RGB", range: [0, 1], dtype: "float32" },
    output: { name: "output", layout: "NCHW", channels: "BGR", range: [0, 255], dtype: "float32" },
  };
  assert.throws(
    () => checkContract({ remaster: JSON.stringify(meta) }),
    /input layout is NHWC, expected NCHW; output range is \[0,255\], expected \[0,1\]; output channels are BGR/,
  );
});

test("options: documented defaults, unknown options and bad values are errors", () => {
  const defaults = { model: "m.onnx", modelFp16: "m.fp16.onnx", wasmPaths: "/ort/" };
  const d = resolveOptions({}, defaults);
  assert.deepEqual(
    { ...d, camera: undefined },
    {
      model: "m.onnx",
      modelFp16: "m.fp16.onnx",
      precision: "auto",
      graphCapture: true,
      profile: false,
      asyncReadback: true,
      camera: undefined,
      scale: 1,
      strength: 1,
      backend: "auto",
      enabled: true,
      wasmPaths: "/ort/",
    },
  );
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

test("a NaN or infinite channel makes its pixel transparent (passed through) and is counted", () => {
  const t = new Float32Array([0.5, NaN, 0.2, Infinity, 0.1, 0.2, 0.3, 0.4, 0.3, 0.4, -Infinity, 0.6]); // 2x2, NCHW
  const bad = { pixels: 0 };
  const rgba = nchwToRgba(t, 2, 2, false, undefined, bad);
  assert.deepEqual([rgba[3], rgba[7], rgba[11], rgba[15]], [255, 0, 0, 0]);
  assert.equal(bad.pixels, 3);
  assert.equal(rgba[0], 128);
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

test("resizeNearest maps pixel centres to pixel centres", () => {
  const src = new Uint8Array(4 * 4 * 4).map((_, i) => i);
  const half = resizeNearest(src, 4, 4, 2, 2);
  // Output pixel (x, y) takes source pixel (2x + 1, 2y + 1).
  assert.deepEqual([...half.subarray(0, 4)], [...src.subarray((1 * 4 + 1) * 4, (1 * 4 + 1) * 4 + 4)]);
  assert.deepEqual([...half.subarray(12, 16)], [...src.subarray((3 * 4 + 3) * 4, (3 * 4 + 3) * 4 + 4)]);
  assert.deepEqual(resizeNearest(src, 4, 4, 4, 4), src);
});

test("the README's options table lists exactly the plugin's options", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("| option | default | meaning |"));
  const lines = section.split("\n").slice(2);
  const rows = lines.slice(
    0,
    lines.findIndex((l) => !l.startsWith("|")),
  );
  const names = rows.map((l) => /^\| `(\w+)`/.exec(l)![1]);
  assert.deepEqual(names.sort(), Object.keys(OPTION_DEFAULTS).sort());
});

const shipped = readFileSync(join(root, "models/remaster-realtime.onnx"));
const shippedFp16 = readFileSync(join(root, "models/remaster-realtime.fp16.onnx"));
const choice = (c: Partial<ModelChoice>): ModelChoice => ({
  backend: "webgpu",
  shaderF16: true,
  precision: "auto",
  model: new Uint8Array(shipped),
  modelFp16: new Uint8Array(shippedFp16),
  ...c,
});

test("model choice: auto runs float16 only on WebGPU with shader-f16, and says why not elsewhere", async () => {
  assert.equal((await loadModel(choice({}))).contract.dtype, "float16");
  const noF16 = await loadModel(choice({ shaderF16: false }));
  assert.equal(noF16.contract.dtype, "float32");
  assert.match(noF16.precisionNote, /lacks the 'shader-f16' feature/);
  const wasm = await loadModel(choice({ backend: "wasm", shaderF16: true }));
  assert.equal(wasm.contract.dtype, "float32");
  assert.match(wasm.precisionNote, /WebGPU backend only/);
  assert.equal((await loadModel(choice({ precision: "fp32" }))).contract.dtype, "float32");
  // A model of one's own with no float16 twin runs float32 without a note.
  const own = await loadModel(choice({ modelFp16: null }));
  assert.equal(own.contract.dtype, "float32");
});

test("model choice: impossible or inconsistent precision requests are errors naming the reason", async () => {
  await assert.rejects(
    loadModel(choice({ precision: "fp16", backend: "wasm" })),
    /precision 'fp16' is not possible: float16 models run on the WebGPU backend only/,
  );
  await assert.rejects(
    loadModel(choice({ precision: "fp16", shaderF16: false })),
    /precision 'fp16' is not possible: .*shader-f16/,
  );
  await assert.rejects(
    loadModel(choice({ precision: "fp16", modelFp16: new Uint8Array(shipped) })),
    /modelFp16 is a float32 model, not float16/,
  );
  await assert.rejects(
    loadModel(choice({ precision: "fp32", model: new Uint8Array(shippedFp16) })),
    /the model is float16 but precision is 'fp32'/,
  );
  // auto falls back to float32 when the float16 file is broken, and says so.
  const broken = await loadModel(choice({ modelFp16: new Uint8Array(64) }));
  assert.equal(broken.contract.dtype, "float32");
  assert.match(broken.precisionNote, /float16 model unavailable \(Remaster model: /);
});

test("model fetch: an HTTP error or a network failure names the URL", async () => {
  const notFound = async () => new Response("nope", { status: 404 });
  await assert.rejects(
    loadModel(choice({ model: "/m/x.onnx", modelFp16: null }), notFound),
    /could not fetch the model \/m\/x.onnx: HTTP 404/,
  );
  const offline = async () => {
    throw new TypeError("Failed to fetch");
  };
  await assert.rejects(
    loadModel(choice({ model: "/m/y.onnx", modelFp16: null }), offline),
    /could not fetch the model \/m\/y.onnx: Failed to fetch/,
  );
});

test("every Babylon internal method the plugin uses exists on the installed Babylon's prototypes", async () => {
  const { Engine } = await import("@babylonjs/core/Engines/engine.js");
  const { WebGPUEngine } = await import("@babylonjs/core/Engines/webgpuEngine.js");
  const { WebGPUHardwareTexture } = await import("@babylonjs/core/Engines/WebGPU/webgpuHardwareTexture.js");
  const prototypes: Record<string, object> = {
    "webgl2/engine": Engine.prototype,
    "webgpu/engine": WebGPUEngine.prototype,
    "webgpu/wrappedTexture": WebGPUHardwareTexture.prototype,
  };
  const missing: string[] = [];
  let checked = 0;
  for (const use of INTERNALS.filter((u) => u.kind === "method")) {
    for (const engine of use.engines) {
      const proto = prototypes[`${engine}/${use.on}`];
      assert.ok(proto, `no prototype to check ${use.on}.${use.name} on ${engine}`);
      checked++;
      if (typeof (proto as Record<string, unknown>)[use.name] !== "function")
        missing.push(`${engine} ${use.on}.${use.name}`);
    }
  }
  assert.ok(checked >= 4);
  assert.deepEqual(missing, [], `Babylon no longer has: ${missing.join(", ")} (see plugin/src/babylon/internals.ts)`);
});

test("the plugin's Babylon peer range is >=MIN <NEXT_MAJOR, and the tested (installed) Babylon is its minimum", () => {
  const range = JSON.parse(readFileSync(join(root, "plugin/package.json"), "utf8")).peerDependencies[
    "@babylonjs/core"
  ] as string;
  const m = /^>=(\d+)\.(\d+)\.(\d+) <(\d+)$/.exec(range);
  assert.ok(m, `peer range ${range} should read ">=X.Y.Z <X+1"`);
  assert.equal(Number(m[4]), Number(m[1]) + 1, "the range should end before the next major version");
  const installed = JSON.parse(readFileSync(join(root, "node_modules/@babylonjs/core/package.json"), "utf8"))
    .version as string;
  assert.equal(installed, `${m[1]}.${m[2]}.${m[3]}`, "the tests run against the range's minimum; bump both together");
});

test("the internals probe names what an engine lacks", () => {
  const bare = { isWebGPU: false } as unknown as Parameters<typeof missingInternals>[0];
  assert.deepEqual(missingInternals(bare, { width: 1, height: 1 }).sort(), [
    "engine._currentFramebuffer",
    "engine._gl",
    "engine._readPixelsAsync",
    "engine._readTexturePixels",
    "texture._hardwareTexture",
  ]);
  const gl = {
    isWebGPU: false,
    _gl: {},
    _currentFramebuffer: null,
    _readPixelsAsync() {},
    _readTexturePixels() {},
  } as unknown as Parameters<typeof missingInternals>[0];
  assert.deepEqual(missingInternals(gl, { width: 1, height: 1, _hardwareTexture: null }), []);
});

/** Babylon's WebGPU bind group cache as webgpuCacheBindGroups.js shapes it: nodes keyed by buffer ids
 * + 2^20, sampler hashes, then texture ids + 2^35, bind groups on the last node of each path. */
type CacheNode = { values: Record<string, CacheNode>; bindGroups?: unknown[] };
const TEXTURE_KEY = 2 ** 35;

/** A WebGPU engine whose bind group cache (the static of its `_cacheBindGroups`' class) is `root`. */
function engineWithBindGroupCache(root: CacheNode) {
  class Cache {
    static _Cache = root;
  }
  return { isWebGPU: true, _cacheBindGroups: new Cache() } as unknown as Parameters<typeof forgetTextureBindGroups>[0];
}

test("a dropped texture's entries leave Babylon's bind group cache, at any depth, and nothing else", () => {
  const T = TEXTURE_KEY;
  const leaf = (): CacheNode => ({ values: {}, bindGroups: [] });
  const root: CacheNode = {
    values: {
      [2 ** 20 + 1]: {
        values: {
          7: {
            values: {
              [T + 10]: { values: { [T + 42]: leaf(), [T + 43]: leaf() } }, // scene frame, then result 42 or 43
              [T + 42]: { values: { [T + 10]: leaf() } }, // the result bound first
            },
          },
        },
      },
      [2 ** 20 + 2]: { values: { [T + 11]: leaf() } },
    },
  };
  const engine = engineWithBindGroupCache(root);
  assert.deepEqual(bindGroupCacheContents(engine), { nodes: 10, bindGroups: 4, textureIds: [10, 11, 42, 43] });
  assert.equal(forgetTextureBindGroups(engine, { uniqueId: 42 }), 2);
  assert.deepEqual(bindGroupCacheContents(engine), { nodes: 7, bindGroups: 2, textureIds: [10, 11, 43] });
  assert.equal(forgetTextureBindGroups(engine, { uniqueId: 42 }), 0);
  // WebGL2, or a Babylon without the cache: nothing to do, nothing thrown.
  const gl = { isWebGPU: false } as unknown as Parameters<typeof forgetTextureBindGroups>[0];
  assert.equal(forgetTextureBindGroups(gl, { uniqueId: 42 }), 0);
  assert.equal(bindGroupCacheContents(gl), null);
});

test("a bound texture leaves Babylon's bind group cache once Babylon has disposed it, not before", () => {
  const T = TEXTURE_KEY;
  const root: CacheNode = {
    values: { 1: { values: { [T + 5]: { values: {}, bindGroups: [] }, [T + 6]: { values: {}, bindGroups: [] } } } },
  };
  const engine = engineWithBindGroupCache(root);
  const ids = () => bindGroupCacheContents(engine)!.textureIds;
  const a = { uniqueId: 5, _hardwareTexture: {} as unknown };
  const b = { uniqueId: 6, _hardwareTexture: {} as unknown };
  const bound = new BoundTextures(engine);
  bound.bind(a);
  bound.bind(b); // a new size: Babylon keeps `a` a while (its post-process's texture cache)
  bound.bind(a);
  assert.deepEqual(ids(), [5, 6], "a live texture keeps its entries");
  b._hardwareTexture = null; // Babylon disposed it
  bound.bind(b); // still the one bound: kept
  assert.deepEqual(ids(), [5, 6]);
  bound.bind(a);
  assert.deepEqual(ids(), [5], "disposed and no longer bound: its entries are gone");
  // The draw's owner disposed: its textures went with it, and no later bind comes to prune them.
  bound.forgetDisposed();
  assert.deepEqual(ids(), [5], "a live texture keeps its entries");
  a._hardwareTexture = null;
  bound.forgetDisposed();
  assert.deepEqual(ids(), [], "every disposed texture it saw is gone");
});
