/**
 * RemasterPostProcess: runs the Remaster network on every frame of a Babylon.js scene.
 *
 *   scene.addPostProcess(new RemasterPostProcess());
 *
 * The Babylon side only: the composite pass (GLSL + WGSL twins, `strength` blend), camera attach,
 * `enabled`, the ready/error lifecycle, stats, device loss and dispose. The network runs in a
 * FrameRunner (runner.ts: WebGPU or WASM); the model and its precision come from core/modelLoader.
 *
 * With no options it finds the last created scene and its active camera (attaching when a camera
 * becomes active if there is none yet) and loads the shipped model. The frame passes through
 * unchanged until the model is ready, whenever inference fails, and while an inference is still
 * running it shows the last remastered frame: the render loop never waits for the network.
 */
import type { Camera } from "@babylonjs/core/Cameras/camera.js";
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import { Constants } from "@babylonjs/core/Engines/constants.js";
import { EngineStore } from "@babylonjs/core/Engines/engineStore.js";
import { ShaderStore } from "@babylonjs/core/Engines/shaderStore.js";
import type { Effect } from "@babylonjs/core/Materials/effect.js";
import { RawTexture } from "@babylonjs/core/Materials/Textures/rawTexture.js";
import { Texture } from "@babylonjs/core/Materials/Textures/texture.js";
import { Observable } from "@babylonjs/core/Misc/observable.js";
import { PostProcess } from "@babylonjs/core/PostProcesses/postProcess.js";
import type { Scene } from "@babylonjs/core/scene.js";
import {
  BoundTextures,
  disposeFreeingLeftoverUniforms,
  freeLostLeftoverUniforms,
  gpuDevice,
  leftoverUniforms,
  lostMeanwhile,
  type FrameTexture,
  type LeftoverUniforms,
} from "./babylon/internals.ts";
import { loadModel } from "./core/modelLoader.ts";
import { NonFiniteOutputError, type ModelContract } from "./core/modelMetadata.ts";
import { resolveOptions, type RemasterOptions, type ResolvedOptions } from "./core/options.ts";
import { createRunner, resolveBackend, type FrameRunner } from "./runner.ts";
import {
  COMPOSITE_SAMPLERS,
  COMPOSITE_SHADER_NAME,
  COMPOSITE_UNIFORMS,
  compositeGLSL,
  compositeWGSL,
} from "./shaders/remasterComposite.ts";
import { emptyStats, type RemasterStats } from "./stats.ts";

export type { RemasterStats } from "./stats.ts";

/** The shipped model and runtime files, resolved next to the plugin bundle (bundlers copy them). */
export const DEFAULT_MODEL_URL = new URL("./models/remaster-realtime.onnx", import.meta.url).href;
export const DEFAULT_MODEL_FP16_URL = new URL("./models/remaster-realtime.fp16.onnx", import.meta.url).href;
export const DEFAULT_WASM_PATHS = new URL("./ort/", import.meta.url).href;

ShaderStore.ShadersStore[`${COMPOSITE_SHADER_NAME}PixelShader`] = compositeGLSL;
ShaderStore.ShadersStoreWGSL[`${COMPOSITE_SHADER_NAME}PixelShader`] = compositeWGSL;

/** Restarts of the runtime after failed inferences, with none succeeding in between, before the network stops. */
export const MAX_RESTARTS_IN_A_ROW = 2;

function findScene(camera: Camera | null): Scene {
  const scene = camera?.getScene() ?? EngineStore.LastCreatedScene;
  if (!scene)
    throw new Error("RemasterPostProcess: no Babylon scene exists yet; create the scene first or pass { camera }");
  return scene;
}

export class RemasterPostProcess extends PostProcess {
  /** Resolves after the first remastered frame is on screen; rejects when the model cannot run. */
  readonly ready: Promise<void>;
  readonly onReadyObservable = new Observable<RemasterPostProcess>();
  readonly onErrorObservable = new Observable<Error>();
  /** Blend between the frame (0) and the remastered frame (1). */
  strength: number;
  readonly stats: RemasterStats = emptyStats();
  /** The model's contract, once loaded. */
  contract: ModelContract | null = null;

  private readonly opts: ResolvedOptions;
  private readonly remasterScene: Scene;
  private attachedCamera: Camera | null;
  private _enabled = true;
  private runner: FrameRunner | null = null;
  private inFlight = false;
  private failed: Error | null = null;
  private disposedFlag = false;
  private readyResolved = false;
  /** Runtime restarts since the last inference that succeeded (see onInferenceFailed). */
  private restartsInARow = 0;
  /** The effect's leftover-uniform buffer at a device loss, until freed after the restore. */
  private lostUniforms: LeftoverUniforms | undefined;
  /** Bumped when the device is lost: a load or inference started before must not publish. */
  private generation = 0;
  private readonly blank: RawTexture;
  private frameTexture: FrameTexture | null = null;
  /** The composite's input textures (Babylon's render targets, new at each size), pruned from
   * Babylon's WebGPU bind group cache once disposed. */
  private readonly boundInputs: BoundTextures;
  private readonly observers: Array<() => void> = [];
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;

  constructor(options: RemasterOptions = {}) {
    const opts = resolveOptions(options, {
      model: DEFAULT_MODEL_URL,
      modelFp16: DEFAULT_MODEL_FP16_URL,
      wasmPaths: DEFAULT_WASM_PATHS,
    });
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
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // errors also go to onErrorObservable; no unhandled rejection
    this.boundInputs = new BoundTextures(engine);
    this.blank = RawTexture.CreateRGBATexture(new Uint8Array([0, 0, 0, 255]), 1, 1, scene, false);

    if (!camera) this.attachWhenACameraIsActive(scene);
    this.observe(this.onApplyObservable, (effect) => this.bindComposite(effect));
    this.observe(engine.onEndFrameObservable, () => this.afterFrame());
    // Device / context loss: drop everything GPU-side, pass the frame through, report it, and
    // load again on the restored device.
    this.observe(engine.onContextLostObservable, () => this.onDeviceLost());
    this.observe(engine.onContextRestoredObservable, () => this.onDeviceRestored(engine));
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

  private observe<T>(o: Observable<T>, fn: (v: T) => void): void {
    const handle = o.add(fn);
    this.observers.push(() => o.remove(handle));
  }

  private attachWhenACameraIsActive(scene: Scene): void {
    this.observe(scene.onActiveCameraChanged, () => {
      if (scene.activeCamera && !this.attachedCamera) {
        this.attachedCamera = scene.activeCamera;
        if (this._enabled) scene.activeCamera.attachPostProcess(this);
      }
    });
  }

  private async load(engine: AbstractEngine): Promise<void> {
    const gen = this.generation;
    try {
      const backend = resolveBackend(engine, this.opts.backend);
      const shaderF16 = backend === "webgpu" && gpuDevice(engine).features.has("shader-f16");
      const model = await loadModel({
        backend,
        shaderF16,
        precision: this.opts.precision,
        model: this.opts.model,
        modelFp16: this.opts.modelFp16,
      });
      this.contract = model.contract;
      this.stats.precisionNote = model.precisionNote;
      const runner = await createRunner(backend, { engine, scene: this.remasterScene, model, options: this.opts });
      if (this.disposedFlag || gen !== this.generation) {
        runner.dispose();
        return;
      }
      this.runner = runner;
      this.stats.backend = backend;
      this.stats.precision = model.contract.dtype;
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    this.onErrorObservable.notifyObservers(e);
    this.rejectReady(e);
  }

  /** The remastered frame to show, or null: pass the frame through. */
  private get result() {
    return this.failed ? null : (this.runner?.result ?? null);
  }

  private bindComposite(effect: Effect): void {
    this.frameTexture = (this.inputTexture?.texture as FrameTexture | null | undefined) ?? null;
    this.boundInputs.bind(this.inputTexture?.texture);
    const result = this.result;
    effect.setTexture("remasterSampler", result ?? this.blank);
    effect.setFloat("strength", this.strength);
    effect.setFloat("hasResult", result ? 1 : 0);
    this.stats.frames++;
    if (!result) this.stats.passedThrough++;
  }

  /** After the frame is submitted: start the next inference if none is running. */
  private afterFrame(): void {
    const runner = this.runner;
    if (!runner || this.inFlight || this.failed || !this._enabled || !this.frameTexture || this.disposedFlag) return;
    if (this.result && !this.readyResolved) {
      this.readyResolved = true;
      this.resolveReady();
      this.onReadyObservable.notifyObservers(this);
    }
    this.inFlight = true;
    const engine = this.remasterScene.getEngine();
    const device = engine.isWebGPU ? gpuDevice(engine) : undefined;
    runner.run(this.frameTexture).then(
      (timing) => {
        this.inFlight = false;
        if (runner !== this.runner) return;
        Object.assign(this.stats, runner.info);
        if (!timing) return;
        this.restartsInARow = 0;
        this.stats.lastInferenceMs = timing.totalMs;
        this.stats.lastReadbackMs = timing.readbackMs;
        this.stats.lastStagesMs = timing.stagesMs;
        this.stats.inferences++;
      },
      (e: Error) => {
        this.inFlight = false;
        if (runner !== this.runner) return;
        // A lost device fails the inference before Babylon says so: then its lost/restored events
        // handle it (and it is reported once, as a loss).
        void lostMeanwhile(engine, device).then((lost) => {
          if (!lost && runner === this.runner) this.onInferenceFailed(engine, e);
        });
      },
    );
  }

  /**
   * An inference failed on a live device. The model's own fault (non-finite output) stops the
   * network at once. Anything else may be the runtime's (onnxruntime-web's state, a driver
   * hiccup): the runner is dropped and built again, the frame passing through meanwhile, and the
   * failure is reported; after MAX_RESTARTS_IN_A_ROW restarts with no inference succeeding in
   * between, it stops the network as a model failure does.
   */
  private onInferenceFailed(engine: AbstractEngine, e: Error): void {
    const message = `RemasterPostProcess: inference failed: ${e.message}`;
    if (e instanceof NonFiniteOutputError || this.restartsInARow >= MAX_RESTARTS_IN_A_ROW) {
      this.fail(new Error(message));
      return;
    }
    this.restartsInARow++;
    this.stats.restarts++;
    this.dropRunner();
    this.onErrorObservable.notifyObservers(
      new Error(
        `${message}; the network restarts (${this.restartsInARow} of ${MAX_RESTARTS_IN_A_ROW} in a row) and the frame passes through meanwhile`,
      ),
    );
    void this.load(engine);
  }

  /** Disposes the runner; a load or inference started before must not publish. */
  private dropRunner(): void {
    this.generation++;
    this.runner?.dispose();
    this.runner = null;
  }

  private onDeviceLost(): void {
    this.lostUniforms ??= leftoverUniforms(this.getEffect()); // freed after the restore (internals.ts)
    this.dropRunner();
    this.stats.backend = "none";
    this.onErrorObservable.notifyObservers(
      new Error("RemasterPostProcess: the GPU device/context was lost; the frame passes through until it is restored"),
    );
  }

  private onDeviceRestored(engine: AbstractEngine): void {
    if (freeLostLeftoverUniforms(this.getEffect(), this.lostUniforms)) this.lostUniforms = undefined;
    if (this.disposedFlag || this.failed) return;
    void this.load(engine);
  }

  override dispose(camera?: Camera): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const off of this.observers) off();
    this.observers.length = 0;
    const cam = camera ?? this.attachedCamera ?? undefined;
    this.remasterScene.removePostProcess(this);
    this.runner?.dispose();
    this.runner = null;
    this.boundInputs.bind(this.blank.getInternalTexture()); // bound while no result: pruned with the rest
    this.blank.dispose();
    this.onReadyObservable.clear();
    this.onErrorObservable.clear();
    disposeFreeingLeftoverUniforms(this.getEffect(), () => super.dispose(cam));
    // Babylon disposed the input render targets with the post-process: their composite bind groups
    // (and the blank's) would stay in its WebGPU cache for the device's life.
    this.boundInputs.forgetDisposed();
  }
}
