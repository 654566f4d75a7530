/**
 * The zero-readback WebGPU path on Babylon's own GPUDevice, for one input size:
 *   frame GPUTexture --pack--> input GPUBuffer --onnxruntime-web (webgpu EP, static shapes,
 *   graph capture)--> output GPUBuffer --unpack--> rgba8unorm GPUTexture (sampled by the composite)
 * The input buffer is ours (the session's feed, the same every frame); the output buffer is the one
 * onnxruntime allocates (preferredOutputLocation "gpu-buffer"). Not a buffer of ours handed in as a
 * fetch: onnxruntime-web 1.30 looks a pre-allocated output up again after every replay of a captured
 * graph by a buffer id its own glue has freed at the end of the previous run; when other sessions
 * came and went in between (a model swap, a new effect, a device loss) the id was free and the run
 * failed with "Cannot set properties of undefined (setting 'Symbol(gpuBufferMetadata)')" (the
 * 10,000-frame soak, 3 times), and each replay kept an output OrtValue that was never released.
 * The session is created for this size (symbolic dims fixed through freeDimensionOverrides), so
 * onnxruntime can fold the shape arithmetic and capture the whole graph; a new size makes a new
 * pipeline. Graph capture falls back to plain runs when the runtime refuses it.
 */
import type { InferenceSession, Tensor } from "onnxruntime-web";
import { NonFiniteOutputError, type ModelContract } from "../core/modelMetadata.ts";
import { createWebGpuSession, releaseSession, releaseTensor, runSession, type Ort } from "../core/ort.ts";
import { TensorCodec } from "./tensorCodec.ts";

export interface GpuPipelineOptions {
  device: GPUDevice;
  ort: Ort;
  /** ONNX bytes; their contract and graph input dims. */
  model: Uint8Array;
  contract: ModelContract;
  inputDims: Array<number | string>;
  /** Network input size; the output is `upscale` times larger. */
  inWidth: number;
  inHeight: number;
  flipY: boolean;
  graphCapture: boolean;
}

/** Static values for the symbolic dims of an NCHW input [N, 3, H, W]. */
export function freeDimensionsFor(dims: Array<number | string>, width: number, height: number): Record<string, number> {
  if (dims.length !== 4) throw new Error(`the model input has ${dims.length} dims, expected 4 (NCHW)`);
  const out: Record<string, number> = {};
  const want = [1, 3, height, width];
  dims.forEach((d, i) => {
    if (typeof d === "string") out[d] = want[i];
    else if (d !== want[i] && i < 2) throw new Error(`the model input dim ${i} is ${d}, expected ${want[i]}`);
    else if (d !== want[i])
      throw new Error(`the model has a fixed input size (dim ${i} = ${d}); the frame needs ${want[i]}`);
  });
  return out;
}

export class GpuPipeline {
  readonly codec: TensorCodec;
  /** The network input size this pipeline (and its static-shape session) was built for. */
  readonly inWidth: number;
  readonly inHeight: number;
  private inputTensor: Tensor;
  /** The last run's output (onnxruntime's): released once its unpack is queued. */
  private outputTensor: Tensor | null = null;
  private disposed = false;
  /** The session run in progress: a dispose waits for it before destroying the buffers it uses. */
  private running: Promise<void> | null = null;

  private constructor(
    private readonly o: GpuPipelineOptions,
    codec: TensorCodec,
    private session: InferenceSession,
    /** Whether the session replays a captured graph. */
    readonly graphCapture: boolean,
  ) {
    this.codec = codec;
    const { contract, inWidth, inHeight } = o;
    this.inWidth = inWidth;
    this.inHeight = inHeight;
    this.inputTensor = o.ort.Tensor.fromGpuBuffer(codec.input, {
      dataType: contract.dtype,
      dims: [1, 3, inHeight, inWidth],
    });
  }

  /** Builds the session for this size and runs it once (capturing the graph, compiling shaders). */
  static async create(o: GpuPipelineOptions): Promise<GpuPipeline> {
    const codec = new TensorCodec({
      device: o.device,
      dtype: o.contract.dtype,
      flipY: o.flipY,
      inWidth: o.inWidth,
      inHeight: o.inHeight,
      outWidth: o.inWidth * o.contract.upscale,
      outHeight: o.inHeight * o.contract.upscale,
    });
    const freeDimensions = freeDimensionsFor(o.inputDims, o.inWidth, o.inHeight);
    const attempts = o.graphCapture ? [true, false] : [false];
    let lastError: Error | null = null;
    for (const capture of attempts) {
      let session: InferenceSession | null = null;
      let p: GpuPipeline | null = null;
      try {
        session = await createWebGpuSession(o.ort, o.model, {
          device: o.device,
          freeDimensions,
          graphCapture: capture,
        });
        p = new GpuPipeline(o, codec, session, capture);
        await p.run();
        const bad = await codec.countNonFinite();
        if (bad) {
          p.releaseSession();
          codec.dispose();
          throw new NonFiniteOutputError(bad, "values");
        }
        return p;
      } catch (e) {
        if (e instanceof NonFiniteOutputError) throw e; // the model, not the capture mode
        lastError = e as Error;
        p?.releaseOutput();
        if (session) await releaseSession(session);
      }
    }
    codec.dispose();
    throw lastError!;
  }

  /** Queues the pack pass: call right after the engine submitted the frame that wrote `frame`. */
  pack(frame: GPUTexture): void {
    this.codec.pack(frame);
  }

  /** Queues the unpack of the last run's output into `codec.result`. */
  unpack(): void {
    if (!this.disposed) this.codec.unpack();
    this.releaseOutput(); // queued after the unpack: onnxruntime may reuse the buffer from now on
  }

  /** Releases the last run's output tensor (its OrtValue), once. */
  releaseOutput(): void {
    if (this.outputTensor) void releaseTensor(this.outputTensor);
    this.outputTensor = null;
  }

  /** Runs the network on the packed input (queued on the GPU when the promise resolves). */
  async run(): Promise<void> {
    // Disposed between pack and run (the runner awaits in between; a dispose in that gap freed the
    // tensors at once, as no run was in progress): running it would hand onnxruntime freed buffers.
    if (this.disposed) return;
    const { inputName, outputName } = this.o.contract;
    const run = runSession(this.session, { [inputName]: this.inputTensor });
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      const out = (await run)[outputName];
      if (!out || out.location !== "gpu-buffer")
        throw new Error(`the session returned no GPU buffer for output '${outputName}' (${out?.location ?? "none"})`);
      this.releaseOutput(); // a run whose unpack never came (the runner awaited in between)
      this.outputTensor = out;
      if (this.disposed) this.releaseOutput();
      else this.codec.setOutput(out.gpuBuffer as GPUBuffer);
    } finally {
      this.running = null;
    }
  }

  private releaseSession(): void {
    this.inputTensor.dispose();
    this.releaseOutput();
    void releaseSession(this.session);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const free = () => {
      this.releaseSession();
      this.codec.dispose();
    };
    if (this.running) void this.running.then(free);
    else free();
  }
}
