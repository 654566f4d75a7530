/**
 * The WebGPU runner: the network on Babylon's own GPUDevice, no pixel crossing to the CPU.
 *   frame GPUTexture --pack--> tensor --onnxruntime-web (static shapes, graph capture)--> tensor
 *   --unpack--> rgba8unorm GPUTexture, handed to Babylon and sampled by the composite pass.
 * One GpuPipeline per input size: a new size builds a new one (the frame passes through meanwhile).
 */
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import { ThinTexture } from "@babylonjs/core/Materials/Textures/thinTexture.js";
import {
  forgetTextureBindGroups,
  gpuDevice,
  hardwareResource,
  wrapGpuTexture,
  type FrameTexture,
} from "../babylon/internals.ts";
import { readOnnxInputDims } from "../core/modelMetadata.ts";
import type { LoadedModel } from "../core/modelLoader.ts";
import { inputSize, type ResolvedOptions } from "../core/options.ts";
import { loadOrt, type Ort } from "../core/ort.ts";
import type { FrameRunner, RunnerInfo, RunnerOptions, RunTiming } from "../runner.ts";
import { GpuPipeline } from "./gpuPipeline.ts";

/**
 * Babylon's WebGPU engine stores render targets bottom-up (it flips Y when rendering into them,
 * so that sampling matches WebGL); the network must see the frame upright.
 */
const WEBGPU_TARGETS_BOTTOM_UP = true;

export class WebGpuRunner implements FrameRunner {
  readonly backend = "webgpu" as const;
  readonly info: RunnerInfo = { inputWidth: 0, inputHeight: 0, graphCapture: false, asyncReadback: false };
  private pipeline: GpuPipeline | null = null;
  /** The pipeline's result texture, owned by Babylon once wrapped. */
  private texture: ThinTexture | null = null;
  private hasResult = false;
  private disposed = false;

  private constructor(
    private readonly engine: AbstractEngine,
    private readonly ort: Ort,
    private readonly model: LoadedModel,
    private readonly inputDims: Array<number | string>,
    private readonly options: ResolvedOptions,
  ) {}

  static async create(o: RunnerOptions): Promise<WebGpuRunner> {
    const ort = await loadOrt("webgpu", o.options.wasmPaths);
    // Sessions are built per input size (static shapes, graph capture) on the first frame.
    const inputDims = readOnnxInputDims(o.model.bytes)[o.model.contract.inputName] ?? [];
    return new WebGpuRunner(o.engine, ort, o.model, inputDims, o.options);
  }

  get result(): ThinTexture | null {
    return this.hasResult ? this.texture : null;
  }

  async run(frame: FrameTexture): Promise<RunTiming | null> {
    const size = inputSize(frame.width, frame.height, this.options.scale, this.model.contract.sizeMultiple);
    if (!this.pipeline || this.pipeline.inWidth !== size.width || this.pipeline.inHeight !== size.height) {
      await this.rebuild(size.width, size.height);
      // The frame that was packed is gone by now: the next frame starts the first inference.
      return null;
    }
    const device = gpuDevice(this.engine);
    const wait = () => (this.options.profile ? device.queue.onSubmittedWorkDone() : undefined);
    const pipeline = this.pipeline; // this.pipeline may be dropped (device loss, dispose) while we wait
    const t0 = performance.now();
    pipeline.pack(hardwareResource<GPUTexture>(frame));
    await wait();
    const t1 = performance.now();
    await pipeline.run();
    await wait();
    const t2 = performance.now();
    pipeline.unpack();
    await wait();
    const t3 = performance.now();
    if (this.disposed) return null;
    this.hasResult = true;
    return { totalMs: t3 - t0, readbackMs: 0, stagesMs: { toTensor: t1 - t0, inference: t2 - t1, toFrame: t3 - t2 } };
  }

  /** A new input size: a new session with static shapes. The frame passes through while it builds. */
  private async rebuild(width: number, height: number): Promise<void> {
    this.hasResult = false;
    this.dropPipeline();
    const { bytes, contract } = this.model;
    const pipeline = await GpuPipeline.create({
      device: gpuDevice(this.engine),
      ort: this.ort,
      model: bytes,
      contract,
      inputDims: this.inputDims,
      inWidth: width,
      inHeight: height,
      flipY: WEBGPU_TARGETS_BOTTOM_UP,
      graphCapture: this.options.graphCapture,
    });
    if (this.disposed) {
      pipeline.dispose();
      return;
    }
    this.pipeline = pipeline;
    // Babylon owns the result texture now: it is destroyed after the frame when `texture` is disposed.
    this.texture = new ThinTexture(wrapGpuTexture(this.engine, pipeline.codec.transferResult()));
    this.info.inputWidth = width;
    this.info.inputHeight = height;
    this.info.graphCapture = pipeline.graphCapture;
  }

  private dropPipeline(): void {
    // Babylon's bind group cache would keep the composite's bind groups of this texture for the device's life.
    const old = this.texture?.getInternalTexture();
    if (old) forgetTextureBindGroups(this.engine, old);
    this.texture?.dispose();
    this.texture = null;
    this.pipeline?.dispose();
    this.pipeline = null;
  }

  dispose(): void {
    this.disposed = true;
    this.hasResult = false;
    this.dropPipeline();
  }
}
