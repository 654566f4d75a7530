/**
 * remaster.html: the plugin on the demo scene, for the end-to-end tests. The only Remaster code a
 * game needs is the one line marked below; everything else is the scene and hooks for the tests.
 * Query: engine=webgl2|webgpu, size=N, frame=N (a still frame), model=URL|corrupt|missing,
 * precision=auto|fp32|fp16, capture=0 (no graph capture), latecamera=1 (the effect is made while
 * the scene has no active camera; the camera becomes active afterwards), nopp=1 (no effect).
 */
import { RemasterPostProcess, testFaults } from "@remaster/plugin";
import type { EngineKind } from "./contracts.ts";
import { createEngine } from "./engine.ts";
import { seedMathRandom } from "./rng.ts";
import { createSceneInstance } from "./sceneInstance.ts";
import { bytesToBase64, readCanvasPixels } from "./pixels.ts";
import { codecCheck, type CodecCheck } from "./codec-check.ts";
import { blankTextureId, resultTextureId } from "./effectPrivates.ts";
import {
  bindGroupCacheContents,
  gpuDevice,
  leftoverUniforms,
  missingInternals,
  type FrameTexture,
} from "../../plugin/src/babylon/internals.ts";

const q = new URLSearchParams(location.search);
const kind = (q.get("engine") ?? "webgl2") as EngineKind;
let size = Number(q.get("size") ?? 128);
const frame = Number(q.get("frame") ?? 90);
const modelParam = q.get("model");

// Count every way pixels could come back to the CPU (the WebGPU path must do none per frame).
const counters = {
  mapAsync: 0,
  readPixels: 0,
  buffersCreated: [] as string[],
  buffersDestroyed: [] as string[],
  texturesCreated: [] as string[],
  texturesDestroyed: [] as string[],
};
if ("gpu" in navigator && typeof GPUBuffer !== "undefined") {
  const mapAsync = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (...args: Parameters<typeof mapAsync>) {
    counters.mapAsync++;
    return mapAsync.apply(this, args);
  };
  const bufDestroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function () {
    counters.buffersDestroyed.push(this.label);
    return bufDestroy.apply(this);
  };
  const texDestroy = GPUTexture.prototype.destroy;
  GPUTexture.prototype.destroy = function () {
    counters.texturesDestroyed.push(this.label);
    return texDestroy.apply(this);
  };
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (d: GPUBufferDescriptor) {
    counters.buffersCreated.push(d.label ?? "");
    return createBuffer.call(this, d);
  };
  const createTexture = GPUDevice.prototype.createTexture;
  GPUDevice.prototype.createTexture = function (d: GPUTextureDescriptor) {
    counters.texturesCreated.push(d.label ?? "");
    return createTexture.call(this, d);
  };
}

async function main() {
  seedMathRandom(1 ^ 0x5eed);
  const canvas = document.createElement("canvas");
  document.body.appendChild(canvas);
  const engine = await createEngine({ canvas, kind, width: size, height: size });
  const readPixels = engine.readPixels.bind(engine);
  engine.readPixels = (...args: Parameters<typeof readPixels>) => {
    counters.readPixels++;
    return readPixels(...args);
  };
  const instance = await createSceneInstance({
    engine,
    source: { kind: "demo", layout: "yard", seed: 1 },
    variant: "low",
    envUrl: "./assets/photoStudio.env",
  });
  instance.setFrame(frame, instance.poseAt(0, frame));
  await instance.warmUp();
  const scene = instance.scene;

  let model: string | undefined;
  if (modelParam === "corrupt")
    model = URL.createObjectURL(new Blob([new Uint8Array(4096).map((_, i) => (i * 37) & 255)]));
  else if (modelParam) model = modelParam;

  const options: ConstructorParameters<typeof RemasterPostProcess>[0] = {};
  if (model) options.model = model;
  if (q.get("precision")) options.precision = q.get("precision") as "auto";
  if (q.get("capture") === "0") options.graphCapture = false;
  const camera = scene.activeCamera!;
  if (q.get("latecamera") === "1") scene.activeCamera = null;

  // ---- the one line a game adds (options only when the test asks for something else) ----
  const remaster = Object.keys(options).length ? new RemasterPostProcess(options) : new RemasterPostProcess();
  if (q.get("nopp") !== "1") scene.addPostProcess(remaster);
  else remaster.dispose();
  // -------------------------------------------------------------------------------------
  if (q.get("latecamera") === "1") setTimeout(() => (scene.activeCamera = camera), 200);

  let frames = 0;
  const startLoop = () =>
    engine.runRenderLoop(() => {
      if (!scene.activeCamera) return; // latecamera: nothing to render yet
      scene.render();
      frames++;
    });
  startLoop();
  const errors: string[] = [];
  remaster.onErrorObservable.add((e) => errors.push(e.message));

  /** Stops the loop, renders one frame with the effect on or off, returns the canvas pixels. */
  async function capture(on: boolean) {
    engine.stopRenderLoop();
    remaster.enabled = on;
    const before = { ...counters, readPixels: counters.readPixels };
    engine.beginFrame();
    scene.render();
    const p = readCanvasPixels(engine, size, size);
    engine.endFrame();
    const px = await p;
    counters.readPixels = before.readPixels; // the test's own capture is not the plugin's
    remaster.enabled = true;
    startLoop();
    return bytesToBase64(px);
  }

  window.remasterTest = {
    ready: () =>
      remaster.ready.then(
        () => "ready",
        (e: Error) => `error: ${e.message}`,
      ),
    capture,
    setEnabled: (on: boolean) => {
      remaster.enabled = on;
    },
    stats: () => ({
      ...remaster.stats,
      loopFrames: frames,
      errors,
      counters: { ...counters },
      postProcesses: scene.postProcesses.length,
      // The plugin's passes on the camera (the low preset's own tone-mapping pass is not counted).
      cameraPostProcesses: scene.activeCamera?._postProcesses.filter((p) => p === remaster).length ?? 0,
    }),
    dispose: () => remaster.dispose(),
    codecCheck: ([dtype, flipY]: ["float32" | "float16", boolean]) => codecCheck(gpuDevice(engine), dtype, flipY),
    /** Babylon internals the plugin uses that this engine lacks (must be none). */
    missingInternals: () => missingInternals(engine, remaster.inputTexture.texture as unknown as FrameTexture),
    /** A real WebGPU device loss: Babylon sees device.lost, re-creates its device and restores. */
    destroyDevice: () => gpuDevice(engine).destroy(),
    deviceLabel: () => gpuDevice(engine)?.label ?? "",
    /** Leftover-uniform buffers the effect's draw context still holds besides its effect's own
     * (Babylon's restore after a device loss leaves the old one there: plugin/src/babylon/internals.ts). */
    staleLeftoverUniforms: () => {
      type Ubo = { name: string };
      const wrapper = (remaster as unknown as { _effectWrapper?: { drawWrapper?: { drawContext?: unknown } } })
        ._effectWrapper;
      const held = (wrapper?.drawWrapper?.drawContext as { _uniformBuffersWithOwnedSlot?: Ubo[] } | undefined)
        ?._uniformBuffersWithOwnedSlot;
      if (!held) return -1; // not WebGPU, or Babylon's internals changed: the test says so
      const own = leftoverUniforms(remaster.getEffect());
      return held.filter((u) => (u as unknown) !== own && u.name.startsWith("leftOver-")).length;
    },
    /** WebGPU: the uniqueIds of the textures Babylon's bind group cache is keyed by, of the effect's
     * current result texture (null before its first result) and of the other textures its composite
     * binds: its input render target and the blank it shows while there is no result (private fields,
     * read on this test page only). */
    bindGroupCache: () => ({
      textureIds: bindGroupCacheContents(engine)?.textureIds ?? null,
      resultTextureId: resultTextureId(remaster),
      inputTextureId: remaster.inputTexture?.texture?.uniqueId ?? null,
      blankTextureId: blankTextureId(remaster),
    }),
    simulateContextLoss: () => engine.onContextLostObservable.notifyObservers(engine),
    simulateContextRestore: () => engine.onContextRestoredObservable.notifyObservers(engine),
    size: () => size,
    /** The next n onnxruntime session runs fail as a runtime fault would (the restart path). */
    failRuns: (n: number) => {
      testFaults.failRuns = n;
    },
    /** Resizes the canvas and the engine's backbuffer (the effect must follow: new buffers, new session). */
    resize: (n: number) => {
      size = n;
      canvas.style.width = canvas.style.height = `${n}px`;
      engine.setSize(n, n);
    },
  };
  document.body.dataset.ready = "true";
}

type Stats = RemasterPostProcess["stats"] & {
  loopFrames: number;
  errors: string[];
  counters: typeof counters;
  postProcesses: number;
  cameraPostProcesses: number;
};

/** What the tests call on this page (Playwright: `window.remasterTest.<name>()`). */
export interface RemasterTestApi {
  ready(): Promise<string>;
  capture(on: boolean): Promise<string>;
  setEnabled(on: boolean): void;
  stats(): Stats;
  dispose(): void;
  codecCheck(args: ["float32" | "float16", boolean]): Promise<CodecCheck>;
  missingInternals(): string[];
  destroyDevice(): void;
  deviceLabel(): string;
  staleLeftoverUniforms(): number;
  bindGroupCache(): {
    textureIds: number[] | null;
    resultTextureId: number | null;
    inputTextureId: number | null;
    blankTextureId: number | null;
  };
  simulateContextLoss(): void;
  simulateContextRestore(): void;
  size(): number;
  failRuns(n: number): void;
  resize(n: number): void;
}

declare global {
  interface Window {
    remasterTest: RemasterTestApi;
  }
}

main().catch((e) => {
  document.body.dataset.error = (e as Error).message;
  console.error(e);
});
