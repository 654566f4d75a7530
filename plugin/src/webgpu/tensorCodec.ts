/**
 * Frame <-> tensor on the GPU, with no pixel crossing to the CPU:
 *   pack:   frame GPUTexture --compute--> `input`  GPUBuffer, NCHW [1,3,inH,inW], values in [0, 1]
 *   unpack: `output` GPUBuffer, NCHW [1,3,outH,outW] --compute--> `result` rgba8unorm GPUTexture
 * `input` is allocated here, once per size, and handed to onnxruntime as its feed (the same binding
 * every frame, which graph capture needs). `output` is the buffer onnxruntime allocated for the
 * network's output (`setOutput`, after each run: the same one while a captured graph replays); it
 * may be larger than the tensor (onnxruntime rounds sizes up to 16 bytes) and is not destroyed here.
 * Element type float32 or float16 (2 bytes, packed in pairs: widths must be even). Every GPU
 * object made here is labelled `remaster-*` and destroyed in dispose().
 */
import { packWGSL, PIXELS_PER_INVOCATION, unpackWGSL, type TensorDtype } from "./shaders.ts";

export interface TensorCodecOptions {
  device: GPUDevice;
  dtype: TensorDtype;
  inWidth: number;
  inHeight: number;
  outWidth: number;
  outHeight: number;
  /** Frame texture stored bottom-up relative to the tensor's top-first rows: flip both ways. */
  flipY: boolean;
}

const BYTES: Record<TensorDtype, number> = { float32: 4, float16: 2 };

export class TensorCodec {
  readonly input: GPUBuffer;
  readonly result: GPUTexture;
  private readonly packParams: GPUBuffer;
  private readonly unpackParams: GPUBuffer;
  private readonly packPipeline: GPUComputePipeline;
  private readonly unpackPipeline: GPUComputePipeline;
  private readonly sampler: GPUSampler;
  /** The pack bind group of the last frame texture (the engine reuses its post-process targets). */
  private packBind: { frame: GPUTexture; bind: GPUBindGroup } | null = null;
  /** The unpack bind group of the output buffer the last run wrote (onnxruntime's, not owned here). */
  private unpackBind: { output: GPUBuffer; bind: GPUBindGroup } | null = null;
  private disposed = false;
  private resultTransferred = false;

  constructor(private readonly o: TensorCodecOptions) {
    const { device, dtype } = o;
    if (dtype === "float16" && (o.inWidth % 2 || o.outWidth % 2))
      throw new Error(`TensorCodec: float16 tensors need even widths, got ${o.inWidth} -> ${o.outWidth}`);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.input = device.createBuffer({
      label: "remaster-input",
      size: 3 * o.inWidth * o.inHeight * BYTES[dtype],
      usage,
    });
    this.result = device.createTexture({
      label: "remaster-result",
      size: [o.outWidth, o.outHeight],
      format: "rgba8unorm",
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_SRC,
    });
    this.packParams = device.createBuffer({
      label: "remaster-pack-params",
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.unpackParams = device.createBuffer({
      label: "remaster-unpack-params",
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(this.packParams, 0, new Uint32Array([o.inWidth, o.inHeight, o.flipY ? 1 : 0, 0]));
    device.queue.writeBuffer(this.unpackParams, 0, new Uint32Array([o.outWidth, o.outHeight, o.flipY ? 1 : 0, 0]));
    this.packPipeline = device.createComputePipeline({
      label: "remaster-pack",
      layout: "auto",
      compute: {
        module: device.createShaderModule({ label: "remaster-pack", code: packWGSL(dtype) }),
        entryPoint: "main",
      },
    });
    this.unpackPipeline = device.createComputePipeline({
      label: "remaster-unpack",
      layout: "auto",
      compute: {
        module: device.createShaderModule({ label: "remaster-unpack", code: unpackWGSL(dtype) }),
        entryPoint: "main",
      },
    });
    this.sampler = device.createSampler({ magFilter: "linear", minFilter: "linear" });
  }

  /** Bytes of the output tensor, NCHW [1,3,outH,outW]. */
  get outputBytes(): number {
    return 3 * this.o.outWidth * this.o.outHeight * BYTES[this.o.dtype];
  }

  /** The buffer the last run wrote its output to (not owned here). */
  get output(): GPUBuffer {
    if (!this.unpackBind) throw new Error("TensorCodec: no output buffer yet (setOutput after a run)");
    return this.unpackBind.output;
  }

  /** Where the network's output is: unpack reads it from there (a new bind group if it moved). */
  setOutput(buffer: GPUBuffer): void {
    if (buffer === this.unpackBind?.output) return;
    if (buffer.size < this.outputBytes)
      throw new Error(
        `TensorCodec: the output buffer holds ${buffer.size} bytes, the tensor needs ${this.outputBytes}`,
      );
    const bind = this.o.device.createBindGroup({
      layout: this.unpackPipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer } },
        { binding: 1, resource: this.result.createView() },
        { binding: 2, resource: { buffer: this.unpackParams } },
      ],
    });
    this.unpackBind = { output: buffer, bind };
  }

  /** Queues frame -> input. Call after the engine submitted the commands that wrote `frame`. */
  pack(frame: GPUTexture): void {
    const { device, inWidth, inHeight, dtype } = this.o;
    if (this.packBind?.frame !== frame) {
      const bind = device.createBindGroup({
        layout: this.packPipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: frame.createView() },
          { binding: 1, resource: this.sampler },
          { binding: 2, resource: { buffer: this.input } },
          { binding: 3, resource: { buffer: this.packParams } },
        ],
      });
      this.packBind = { frame, bind };
    }
    this.dispatch(
      "remaster-pack",
      this.packPipeline,
      this.packBind.bind,
      Math.ceil(inWidth / PIXELS_PER_INVOCATION[dtype] / 8),
      Math.ceil(inHeight / 8),
    );
  }

  /** Queues output -> result. */
  unpack(): void {
    const { outWidth, outHeight, dtype } = this.o;
    if (!this.unpackBind) throw new Error("TensorCodec: unpack before any output (setOutput after a run)");
    this.dispatch(
      "remaster-unpack",
      this.unpackPipeline,
      this.unpackBind.bind,
      Math.ceil(outWidth / PIXELS_PER_INVOCATION[dtype] / 8),
      Math.ceil(outHeight / 8),
    );
  }

  private dispatch(label: string, pipeline: GPUComputePipeline, bind: GPUBindGroup, x: number, y: number): void {
    const enc = this.o.device.createCommandEncoder({ label });
    const pass = enc.beginComputePass({ label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(x, y);
    pass.end();
    this.o.device.queue.submit([enc.finish()]);
  }

  /**
   * How many elements of `output` are NaN or infinite: one readback, when a pipeline is built (its
   * warm-up run), never per frame. Per frame the unpack pass guards each pixel instead (shaders.ts).
   */
  async countNonFinite(): Promise<number> {
    const { device, dtype } = this.o;
    const bytes = this.outputBytes; // not the buffer's size: onnxruntime pads it
    const staging = device.createBuffer({
      label: "remaster-check",
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const enc = device.createCommandEncoder({ label: "remaster-check" });
      enc.copyBufferToBuffer(this.output, 0, staging, 0, bytes);
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const range = staging.getMappedRange();
      let bad = 0;
      if (dtype === "float16") {
        for (const h of new Uint16Array(range)) if ((h & 0x7c00) === 0x7c00) bad++; // exponent all ones
      } else {
        for (const v of new Float32Array(range)) if (!Number.isFinite(v)) bad++;
      }
      staging.unmap();
      return bad;
    } finally {
      staging.destroy();
    }
  }

  /**
   * Hands `result` to an owner that destroys it itself (Babylon's wrapWebGPUTexture: the engine
   * destroys wrapped textures after the frame that may still sample them). dispose() then leaves it.
   */
  transferResult(): GPUTexture {
    this.resultTransferred = true;
    return this.result;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of [this.input, this.packParams, this.unpackParams]) b.destroy();
    if (!this.resultTransferred) this.result.destroy();
    this.packBind = null;
    this.unpackBind = null;
  }
}
