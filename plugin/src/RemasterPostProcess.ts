/**
 * RemasterPostProcess: runs the Remaster network on every frame of a Babylon.js scene.
 *
 *   scene.addPostProcess(new RemasterPostProcess());
 *
 * With no options it finds the last created scene and its active camera (attaching when a camera
 * becomes active if there is none yet) and loads the shipped model. The frame passes through
 * unchanged until the model is ready, whenever inference fails, and while an inference is still
 * running it shows the last remastered frame: the render loop never waits for the network.
 *
 * Backends: `webgpu` (WebGPUEngine: pack/unpack compute shaders and onnxruntime-web on Babylon's
 * own GPUDevice, no pixel readback) and `wasm` (any engine: the frame is read back, inferred on
 * the CPU and uploaded). The composite pass (GLSL + WGSL twins) blends by `strength`.
 */
import type { Camera } from "@babylonjs/core/Cameras/camera.js";
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import { Constants } from "@babylonjs/core/Engines/constants.js";
import { EngineStore } from "@babylonjs/core/Engines/engineStore.js";
import { ShaderStore } from "@babylonjs/core/Engines/shaderStore.js";
import type { Effect } from "@babylonjs/core/Materials/effect.js";
import { RawTexture } from "@babylonjs/core/Materials/Textures/rawTexture.js";
import { ThinTexture } from "@babylonjs/core/Materials/Textures/thinTexture.js";
import { Texture } from "@babylonjs/core/Materials/Textures/texture.js";
import { Observable } from "@babylonjs/core/Misc/observable.js";
import { PostProcess } from "@babylonjs/core/PostProcesses/postProcess.js";
import type { Scene } from "@babylonjs/core/scene.js";
import type { InferenceSession } from "onnxruntime-web";
import { checkContract, readOnnxInputDims, readOnnxMetadata, type ModelContract } from "./core/modelMetadata.ts";
import { inputSize, resolveOptions, type RemasterOptions, type ResolvedOptions } from "./core/options.ts";
import { createWasmSession, loadOrt, type Ort } from "./core/ort.ts";
import { nchwToRgba, rgbaToNchw } from "./core/tensorLayout.ts";
import { COMPOSITE_SAMPLERS, COMPOSITE_SHADER_NAME, COMPOSITE_UNIFORMS, compositeGLSL, compositeWGSL } from "./shaders/remasterComposite.ts";
import { FrameReader } from "./webgl/frameReader.ts";
import { GpuPipeline } from "./webgpu/gpuPipeline.ts";

/** The shipped model and runtime files, resolved next to the plugin bundle (bundlers copy them). */
export const DEFAULT_MODEL_URL = new URL("./models/remaster-realtime.onnx", import.meta.url).href;
export const DEFAULT_MODEL_FP16_URL = new URL("./models/remaster-realtime.fp16.onnx", import.meta.url).href;
export const DEFAULT_WASM_PATHS = new URL("./ort/", import.meta.url).href;

/**
 * Babylon's WebGPU engine stores render targets bottom-up (it flips Y when rendering into them,
 * so that sampling matches WebGL); the network must see the frame upright.
 */
const WEBGPU_TARGETS_BOTTOM_UP = true;

ShaderStore.ShadersStore[`${COMPOSITE_SHADER_NAME}PixelShader`] = compositeGLSL;
ShaderStore.ShadersStoreWGSL[`${COMPOSITE_SHADER_NAME}PixelShader`] = compositeWGSL;

/** Per-stage timings of the last inference, in milliseconds. */
export interface RemasterStats {
  backend: "webgpu" | "wasm" | "none";
  /** Tensor element type the network runs in. */
  precision: "float32" | "float16" | "none";
  /** WebGPU: whether the session replays a captured graph. */
  graphCapture: boolean;
  /** WASM path: whether the frame was read back asynchronously (WebGL2 pixel-pack buffer + fence). */
  asyncReadback: boolean;
  /** Why float16 was not used although precision was `auto` (empty when it was, or not asked). */
  precisionNote: string;
  frames: number;
  inferences: number;
  /** Milliseconds of the last inference, frame to result (all stages below). */
  lastInferenceMs: number;
  /** WASM: frame readback (with the async path: until the pixels arrived). */
  lastReadbackMs: number;
  /**
   * Stages of the last inference, in milliseconds: frame -> tensor (WASM: conversion after the
   * readback; WebGPU: pack pass), inference, tensor -> frame (WASM: conversion + upload; WebGPU:
   * unpack pass). WebGPU stages are GPU-complete times only with `profile: true`; without it they
   * are the CPU time to submit each stage.
   */
  lastStagesMs: { toTensor: number; inference: number; toFrame: number };
  inputWidth: number;
  inputHeight: number;
}

function findScene(camera: Camera | null): Scene {
  const scene = camera?.getScene() ?? EngineStore.LastCreatedScene;
  if (!scene) throw new Error("RemasterPostProcess: no Babylon scene exists yet; create the scene first or pass { camera }");
  return scene;
}

export class RemasterPostProcess extends PostProcess {
  /** Resolves after the first remastered frame is on screen; rejects when the model cannot run. */
  readonly ready: Promise<void>;
  readonly onReadyObservable = new Observable<RemasterPostProcess>();
  readonly onErrorObservable = new Observable<Error>();
  /** Blend between the frame (0) and the remastered frame (1). */
  strength: number;
  readonly stats: RemasterStats;
  /** The model's contract, once loaded. */
  contract: ModelContract | null = null;

  private readonly opts: ResolvedOptions;
  private readonly remasterScene: Scene;
  private attachedCamera: Camera | null;
  private _enabled = true;
  private hasResult = false;
  private inFlight = false;
  private failed: Error | null = null;
  private disposedFlag = false;
  /** WASM: the session. WebGPU: sessions live in the per-size GpuPipeline. */
  private session: InferenceSession | null = null;
  private modelBytes: Uint8Array | null = null;
  private inputDims: Array<number | string> = [];
  private loaded = false;
  private ort: Ort | null = null;
  private gpu: GpuPipeline | null = null;
  private gpuResult: ThinTexture | null = null;
  private cpuResult: RawTexture | null = null;
  private reader: FrameReader | null = null;
  private readonly blank: RawTexture;
  private frameTexture: unknown = null;
  private readonly observers: Array<() => void> = [];
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;

  constructor(options: RemasterOptions = {}) {
    const opts = resolveOptions(options, { model: DEFAULT_MODEL_URL, modelFp16: DEFAULT_MODEL_FP16_URL, wasmPaths: DEFAULT_WASM_PATHS });
    const scene = findScene(opts.camera);
    const engine = scene.getEngine();
    const camera = opts.camera ?? scene.activeCamera ?? null;
    super("remaster", COMPOSITE_SHADER_NAME, {
      uniforms: [...COMPOSITE_UNIFORMS],
      samplers: [...COMPOSITE_SAMPLERS],
      size: 1,
      camera,
      engine,
      samplingMode: Texture.BILINEAR_SAMPLINGMODE,
      reusable: false,
      textureType: Constants.TEXTURETYPE_UNSIGNED_BYTE,
      shaderLanguage: engine.isWebGPU ? 1 /* WGSL */ : 0 /* GLSL */,
    });
    this.opts = opts;
    this.remasterScene = scene;
    this.attachedCamera = camera;
    this.strength = opts.strength;
    this.stats = { backend: "none", precision: "none", graphCapture: false, asyncReadback: false, precisionNote: "", frames: 0, inferences: 0, lastInferenceMs: 0, lastReadbackMs: 0, lastStagesMs: { toTensor: 0, inference: 0, toFrame: 0 }, inputWidth: 0, inputHeight: 0 };
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // errors also go to onErrorObservable; no unhandled rejection
    this.blank = RawTexture.CreateRGBATexture(new Uint8Array([0, 0, 0, 255]), 1, 1, scene, false);

    if (!camera) {
      const obs = scene.onActiveCameraChanged.add(() => {
        if (scene.activeCamera && !this.attachedCamera) {
          this.attachedCamera = scene.activeCamera;
          if (this._enabled) scene.activeCamera.attachPostProcess(this);
        }
      });
      this.observers.push(() => scene.onActiveCameraChanged.remove(obs));
    }
    const apply = this.onApplyObservable.add((effect) => this.bindComposite(effect));
    this.observers.push(() => this.onApplyObservable.remove(apply));
    const endFrame = engine.onEndFrameObservable.add(() => this.afterFrame(engine));
    this.observers.push(() => engine.onEndFrameObservable.remove(endFrame));
    // Device / context loss: drop everything GPU-side, pass the frame through, report it, and
    // load again on the restored device.
    const lost = engine.onContextLostObservable.add(() => this.onDeviceLost());
    const restored = engine.onContextRestoredObservable.add(() => this.onDeviceRestored(engine));
    this.observers.push(() => engine.onContextLostObservable.remove(lost), () => engine.onContextRestoredObservable.remove(restored));
    if (!opts.enabled) this.enabled = false;
    void this.load(engine);
  }

  /** Whether the effect runs. Disabled, it is detached from the camera: no pass, no inference. */
  get enabled(): boolean {
    return this._enabled;
  }

  set enabled(on: boolean) {
    if (on === this._enabled) return;
    this._enabled = on;
    const cam = this.attachedCamera;
    if (!cam) return;
    if (on) cam.attachPostProcess(this);
    else cam.detachPostProcess(this);
  }

  /** The error that stopped the network, if any (the frame then passes through). */
  get error(): Error | null {
    return this.failed;
  }

  private get backend(): "webgpu" | "wasm" {
    const engine = this.remasterScene.getEngine();
    if (this.opts.backend === "webgpu" && !engine.isWebGPU) throw new Error("RemasterPostProcess: backend 'webgpu' needs a WebGPUEngine");
    return this.opts.backend === "auto" ? (engine.isWebGPU ? "webgpu" : "wasm") : this.opts.backend;
  }

  private async load(engine: AbstractEngine): Promise<void> {
    try {
      const backend = this.backend;
      const device = backend === "webgpu" ? gpuDevice(engine) : null;
      const { bytes, contract } = await this.loadModel(backend, device);
      this.contract = contract;
      this.ort = await loadOrt(backend, this.opts.wasmPaths);
      if (backend === "wasm") this.session = await createWasmSession(this.ort, bytes);
      else {
        // WebGPU sessions are built per input size (static shapes, graph capture) on the first frame.
        this.modelBytes = bytes;
        this.inputDims = readOnnxInputDims(bytes)[contract.inputName] ?? [];
      }
      if (this.disposedFlag) {
        await this.session?.release();
        return;
      }
      this.stats.backend = backend;
      this.stats.precision = contract.dtype;
      this.loaded = true;
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /**
   * Picks the model file for the precision: float16 needs WebGPU with `shader-f16` on Babylon's
   * device; `auto` falls back to float32 (noting why) when that or the fp16 file is missing.
   */
  private async loadModel(backend: "webgpu" | "wasm", device: GPUDevice | null): Promise<{ bytes: Uint8Array; contract: ModelContract }> {
    const { precision, model, modelFp16 } = this.opts;
    const f16 = !!device?.features.has("shader-f16");
    const howToF16 = backend === "webgpu"
      ? "Babylon's GPUDevice lacks the 'shader-f16' feature (create the WebGPUEngine with deviceDescriptor: { requiredFeatures: ['shader-f16'] } or enableAllFeatures: true, on hardware that has it)"
      : "float16 models run on the WebGPU backend only";
    if (precision === "fp16" && !f16) throw new Error(`RemasterPostProcess: precision 'fp16' is not possible: ${howToF16}`);
    const load = async (m: string | Uint8Array) => {
      const bytes = await this.fetchModel(m);
      return { bytes, contract: checkContract(readOnnxMetadata(bytes)) };
    };
    if (f16 && precision !== "fp32" && modelFp16 !== null) {
      try {
        const r = await load(modelFp16);
        if (r.contract.dtype !== "float16") throw new Error(`RemasterPostProcess: modelFp16 is a ${r.contract.dtype} model, not float16`);
        return r;
      } catch (e) {
        if (precision === "fp16") throw e;
        this.stats.precisionNote = `float16 model unavailable (${(e as Error).message}); running float32`;
      }
    } else if (precision === "auto" && !f16) {
      this.stats.precisionNote = `running float32: ${howToF16}`;
    }
    const r = await load(model);
    if (r.contract.dtype === "float16" && (!f16 || precision === "fp32")) {
      throw new Error(`RemasterPostProcess: the model is float16 but ${precision === "fp32" ? "precision is 'fp32'" : howToF16}; use the float32 file`);
    }
    return r;
  }

  private async fetchModel(m: string | Uint8Array): Promise<Uint8Array> {
    if (m instanceof Uint8Array) return m;
    let res: Response;
    try {
      res = await fetch(m);
    } catch (e) {
      throw new Error(`RemasterPostProcess: could not fetch the model ${m}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new Error(`RemasterPostProcess: could not fetch the model ${m}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    this.hasResult = false; // pass through from now on
    this.onErrorObservable.notifyObservers(e);
    this.rejectReady(e);
  }

  private bindComposite(effect: Effect): void {
    this.frameTexture = this.inputTexture?.texture ?? null;
    const result = this.hasResult ? (this.gpuResult ?? this.cpuResult) : null;
    effect.setTexture("remasterSampler", result ?? this.blank);
    effect.setFloat("strength", this.strength);
    effect.setFloat("hasResult", result ? 1 : 0);
    this.stats.frames++;
  }

  /** After the frame is submitted: start the next inference if none is running. */
  private afterFrame(engine: AbstractEngine): void {
    if (!this.loaded || this.inFlight || this.failed || !this._enabled || !this.frameTexture || this.disposedFlag) return;
    if (this.hasResult && !this.readyResolved) {
      this.readyResolved = true;
      this.resolveReady();
      this.onReadyObservable.notifyObservers(this);
    }
    const frame = this.frameTexture as { width: number; height: number; _hardwareTexture?: { underlyingResource: unknown } };
    this.inFlight = true;
    const gen = this.generation;
    const run = this.stats.backend === "webgpu" ? this.inferWebGpu(engine, frame, gen) : this.inferWasm(engine, frame, gen);
    run.then(
      () => {
        this.inFlight = false;
      },
      (e: Error) => {
        this.inFlight = false;
        if (gen === this.generation) this.fail(new Error(`RemasterPostProcess: inference failed: ${e.message}`));
      },
    );
  }

  private readyResolved = false;
  /** Bumped when the device is lost: an inference started before must not publish its result. */
  private generation = 0;

  private async inferWebGpu(engine: AbstractEngine, frame: { width: number; height: number; _hardwareTexture?: { underlyingResource: unknown } }, gen: number): Promise<void> {
    const size = inputSize(frame.width, frame.height, this.opts.scale, this.contract!.sizeMultiple);
    if (!this.gpu || this.gpu.inWidth !== size.width || this.gpu.inHeight !== size.height) {
      // New size: a new session with static shapes. The frame passes through while it builds.
      this.hasResult = false;
      this.disposeGpu();
      const gpu = await GpuPipeline.create({
        device: gpuDevice(engine), ort: this.ort!, model: this.modelBytes!, contract: this.contract!, inputDims: this.inputDims,
        inWidth: size.width, inHeight: size.height, flipY: WEBGPU_TARGETS_BOTTOM_UP, graphCapture: this.opts.graphCapture,
      });
      if (gen !== this.generation || this.disposedFlag) {
        gpu.dispose();
        return;
      }
      this.gpu = gpu;
      const wrapped = (engine as unknown as { wrapWebGPUTexture(t: GPUTexture): import("@babylonjs/core/Materials/Textures/internalTexture.js").InternalTexture }).wrapWebGPUTexture(gpu.codec.transferResult()); // Babylon owns it now: destroyed after the frame when gpuResult is disposed
      // Babylon binds hardwareTexture.view: a wrapped texture has none until one is made.
      (wrapped._hardwareTexture as unknown as { createView(d: GPUTextureViewDescriptor): void }).createView({ format: "rgba8unorm", dimension: "2d", mipLevelCount: 1, baseMipLevel: 0, baseArrayLayer: 0, arrayLayerCount: 1, aspect: "all" });
      this.gpuResult = new ThinTexture(wrapped);
      this.stats.inputWidth = size.width;
      this.stats.inputHeight = size.height;
      this.stats.graphCapture = gpu.graphCapture;
      // The frame that was packed is gone by now: the next frame starts the first inference.
      return;
    }
    const device = gpuDevice(engine);
    const wait = () => (this.opts.profile ? device.queue.onSubmittedWorkDone() : undefined);
    const gpu = this.gpu; // this.gpu may be dropped (device loss, dispose) while we wait
    const t0 = performance.now();
    gpu.pack(frame._hardwareTexture!.underlyingResource as GPUTexture);
    await wait();
    const t1 = performance.now();
    await gpu.run();
    await wait();
    const t2 = performance.now();
    gpu.unpack();
    await wait();
    this.stats.lastStagesMs = { toTensor: t1 - t0, inference: t2 - t1, toFrame: performance.now() - t2 };
    if (gen !== this.generation) return;
    this.stats.lastInferenceMs = performance.now() - t0;
    this.stats.inferences++;
    this.hasResult = !this.failed;
  }

  private async inferWasm(engine: AbstractEngine, frame: { width: number; height: number }, gen: number): Promise<void> {
    const { width, height } = frame;
    const t0 = performance.now();
    this.reader ??= new FrameReader(engine, this.opts.asyncReadback);
    const rgba = await this.reader.read(this.frameTexture as object, width, height);
    this.stats.asyncReadback = this.reader.lastAsync;
    const t1 = performance.now();
    // Render targets read back bottom-up on both engines (WebGL's convention; Babylon's WebGPU
    // engine stores targets flipped to match it). The tensor is top-first.
    const flip = true;
    const size = inputSize(width, height, this.opts.scale, this.contract!.sizeMultiple);
    const src = size.width === width && size.height === height ? rgba : resizeNearest(rgba, width, height, size.width, size.height);
    const input = new this.ort!.Tensor("float32", rgbaToNchw(src, size.width, size.height, flip), [1, 3, size.height, size.width]);
    const t2 = performance.now();
    const out = await this.session!.run({ [this.contract!.inputName]: input });
    const t3 = performance.now();
    const tensor = out[this.contract!.outputName];
    const [, , oh, ow] = tensor.dims as number[];
    const bytes = nchwToRgba(tensor.data as Float32Array, ow, oh, flip);
    tensor.dispose();
    input.dispose();
    if (this.disposedFlag || gen !== this.generation) return;
    if (!this.cpuResult || this.cpuResult.getSize().width !== ow || this.cpuResult.getSize().height !== oh) {
      this.cpuResult?.dispose();
      this.cpuResult = RawTexture.CreateRGBATexture(bytes, ow, oh, this.remasterScene, false, false, Texture.BILINEAR_SAMPLINGMODE);
    } else {
      this.cpuResult.update(bytes);
    }
    const t4 = performance.now();
    this.stats.lastReadbackMs = t1 - t0;
    this.stats.lastStagesMs = { toTensor: t2 - t1, inference: t3 - t2, toFrame: t4 - t3 };
    this.stats.lastInferenceMs = t4 - t0;
    this.stats.inferences++;
    this.stats.inputWidth = size.width;
    this.stats.inputHeight = size.height;
    this.hasResult = !this.failed;
  }

  private onDeviceLost(): void {
    this.generation++;
    this.hasResult = false;
    this.disposeGpu();
    this.cpuResult?.dispose();
    this.cpuResult = null;
    this.reader = null; // its framebuffer went with the context
    void this.session?.release().catch(() => undefined);
    this.session = null;
    this.loaded = false;
    this.stats.backend = "none";
    this.onErrorObservable.notifyObservers(new Error("RemasterPostProcess: the GPU device/context was lost; the frame passes through until it is restored"));
  }

  private onDeviceRestored(engine: AbstractEngine): void {
    if (this.disposedFlag || this.failed) return;
    void this.load(engine);
  }

  private disposeGpu(): void {
    this.gpuResult?.dispose();
    this.gpuResult = null;
    this.gpu?.dispose();
    this.gpu = null;
  }

  override dispose(camera?: Camera): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const off of this.observers) off();
    this.observers.length = 0;
    const cam = camera ?? this.attachedCamera ?? undefined;
    this.remasterScene.removePostProcess(this);
    this.disposeGpu();
    this.cpuResult?.dispose();
    this.reader?.dispose();
    this.blank.dispose();
    void this.session?.release();
    this.session = null;
    this.onReadyObservable.clear();
    this.onErrorObservable.clear();
    super.dispose(cam);
  }
}

/** Babylon's GPUDevice (WebGPUEngine keeps it in `_device`; a device loss replaces it). */
function gpuDevice(engine: AbstractEngine): GPUDevice {
  return (engine as unknown as { _device: GPUDevice })._device;
}

function resizeNearest(src: Uint8Array, w: number, h: number, ow: number, oh: number): Uint8Array {
  const out = new Uint8Array(ow * oh * 4);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / oh));
    for (let x = 0; x < ow; x++) {
      const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / ow));
      out.set(src.subarray((sy * w + sx) * 4, (sy * w + sx) * 4 + 4), (y * ow + x) * 4);
    }
  }
  return out;
}
