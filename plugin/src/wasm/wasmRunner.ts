/**
 * The WASM runner, for any engine: the frame is read back (asynchronously on WebGL2), converted to
 * an NCHW tensor on the CPU, inferred by onnxruntime-web's WASM backend in its proxy worker, and
 * uploaded as an RGBA8 texture that the composite pass samples. float32 models only.
 */
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import { RawTexture } from "@babylonjs/core/Materials/Textures/rawTexture.js";
import { Texture } from "@babylonjs/core/Materials/Textures/texture.js";
import type { Scene } from "@babylonjs/core/scene.js";
import type { InferenceSession } from "onnxruntime-web";
import type { FrameTexture } from "../babylon/internals.ts";
import type { LoadedModel } from "../core/modelLoader.ts";
import { NonFiniteOutputError } from "../core/modelMetadata.ts";
import { inputSize, type ResolvedOptions } from "../core/options.ts";
import { createWasmSession, loadOrt, releaseSession, runSession, type Ort } from "../core/ort.ts";
import { nchwToRgba, resizeNearest, rgbaToNchw } from "../core/tensorLayout.ts";
import type { FrameRunner, RunnerInfo, RunnerOptions, RunTiming } from "../runner.ts";
import { FrameReader } from "./frameReader.ts";

/**
 * Render targets read back bottom-up on both engines (WebGL's convention; Babylon's WebGPU engine
 * stores targets flipped to match it). The tensor is top-first.
 */
const READBACK_BOTTOM_UP = true;

export class WasmRunner implements FrameRunner {
  readonly backend = "wasm" as const;
  readonly info: RunnerInfo = { inputWidth: 0, inputHeight: 0, graphCapture: false, asyncReadback: false };
  private readonly reader: FrameReader;
  private texture: RawTexture | null = null;
  private disposed = false;

  private constructor(
    private readonly scene: Scene,
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    private readonly model: LoadedModel,
    private readonly options: ResolvedOptions,
    engine: AbstractEngine,
  ) {
    this.reader = new FrameReader(engine, options.asyncReadback);
  }

  static async create(o: RunnerOptions): Promise<WasmRunner> {
    const ort = await loadOrt("wasm", o.options.wasmPaths);
    const session = await createWasmSession(ort, o.model.bytes);
    return new WasmRunner(o.scene, ort, session, o.model, o.options, o.engine);
  }

  get result(): RawTexture | null {
    return this.texture;
  }

  async run(frame: FrameTexture): Promise<RunTiming | null> {
    const { width, height } = frame;
    const { contract } = this.model;
    const t0 = performance.now();
    const rgba = await this.reader.read(frame, width, height);
    this.info.asyncReadback = this.reader.lastAsync;
    const t1 = performance.now();
    const size = inputSize(width, height, this.options.scale, contract.sizeMultiple);
    const src =
      size.width === width && size.height === height
        ? rgba
        : resizeNearest(rgba, width, height, size.width, size.height);
    const input = new this.ort.Tensor("float32", rgbaToNchw(src, size.width, size.height, READBACK_BOTTOM_UP), [
      1,
      3,
      size.height,
      size.width,
    ]);
    const t2 = performance.now();
    const out = await runSession(this.session, { [contract.inputName]: input });
    const t3 = performance.now();
    const tensor = out[contract.outputName];
    const [, , oh, ow] = tensor.dims as number[];
    const nonFinite = { pixels: 0 };
    const bytes = nchwToRgba(tensor.data as Float32Array, ow, oh, READBACK_BOTTOM_UP, undefined, nonFinite);
    tensor.dispose();
    input.dispose();
    if (nonFinite.pixels) throw new NonFiniteOutputError(nonFinite.pixels, "pixels");
    if (this.disposed) return null;
    this.upload(bytes, ow, oh);
    const t4 = performance.now();
    this.info.inputWidth = size.width;
    this.info.inputHeight = size.height;
    return {
      totalMs: t4 - t0,
      readbackMs: t1 - t0,
      stagesMs: { toTensor: t2 - t1, inference: t3 - t2, toFrame: t4 - t3 },
    };
  }

  private upload(bytes: Uint8Array, width: number, height: number): void {
    const t = this.texture;
    if (t && t.getSize().width === width && t.getSize().height === height) {
      t.update(bytes);
      return;
    }
    t?.dispose();
    this.texture = RawTexture.CreateRGBATexture(
      bytes,
      width,
      height,
      this.scene,
      false,
      false,
      Texture.BILINEAR_SAMPLINGMODE,
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.texture?.dispose();
    this.texture = null;
    this.reader.dispose();
    void releaseSession(this.session);
  }
}
