/**
 * The zero-readback WebGPU path on Babylon's own GPUDevice:
 *   frame GPUTexture --pack (compute)--> NCHW float32 GPUBuffer --onnxruntime-web (webgpu EP)-->
 *   output GPUBuffer --unpack (compute)--> rgba8unorm GPUTexture (sampled by the composite pass)
 * No pixel ever crosses to the CPU. Every GPU object made here is counted and destroyed in dispose().
 */
import type { InferenceSession, Tensor } from "onnxruntime-web";
import type { Ort } from "../core/ort.ts";
import { PACK_WGSL, UNPACK_WGSL } from "./shaders.ts";

export interface GpuPipelineOptions {
  device: GPUDevice;
  ort: Ort;
  session: InferenceSession;
  inputName: string;
  outputName: string;
  /** Network input size and output size (output = input * upscale). */
  inWidth: number;
  inHeight: number;
  upscale: number;
  /** Whether the frame texture is stored bottom-up relative to the tensor's top-first rows
   * (then both the pack and the unpack pass flip, so the network sees the frame upright). */
  flipY: boolean;
}

export class GpuPipeline {
  readonly outWidth: number;
  readonly outHeight: number;
  readonly result: GPUTexture;
  private readonly inputBuffer: GPUBuffer;
  private readonly inputTensor: Tensor;
  private readonly packParams: GPUBuffer;
  private readonly unpackParams: GPUBuffer;
  private readonly packPipeline: GPUComputePipeline;
  private readonly unpackPipeline: GPUComputePipeline;
  private readonly sampler: GPUSampler;
  private disposed = false;
  private deviceChecked = false;

  constructor(private readonly o: GpuPipelineOptions) {
    const { device } = o;
    this.outWidth = o.inWidth * o.upscale;
    this.outHeight = o.inHeight * o.upscale;
    this.inputBuffer = device.createBuffer({ label: "remaster-input", size: 3 * o.inWidth * o.inHeight * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.inputTensor = o.ort.Tensor.fromGpuBuffer(this.inputBuffer, { dataType: "float32", dims: [1, 3, o.inHeight, o.inWidth] });
    this.result = device.createTexture({ label: "remaster-result", size: [this.outWidth, this.outHeight], format: "rgba8unorm", usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_SRC });
    this.packParams = device.createBuffer({ label: "remaster-pack-params", size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.unpackParams = device.createBuffer({ label: "remaster-unpack-params", size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(this.packParams, 0, new Uint32Array([o.inWidth, o.inHeight, o.flipY ? 1 : 0, 0]));
    device.queue.writeBuffer(this.unpackParams, 0, new Uint32Array([this.outWidth, this.outHeight, o.flipY ? 1 : 0, 0]));
    this.packPipeline = device.createComputePipeline({ label: "remaster-pack", layout: "auto", compute: { module: device.createShaderModule({ code: PACK_WGSL }), entryPoint: "main" } });
    this.unpackPipeline = device.createComputePipeline({ label: "remaster-unpack", layout: "auto", compute: { module: device.createShaderModule({ code: UNPACK_WGSL }), entryPoint: "main" } });
    this.sampler = device.createSampler({ magFilter: "linear", minFilter: "linear" });
  }

  /** Queues the pack pass: call right after the engine submitted the frame that wrote `frame`. */
  pack(frame: GPUTexture): void {
    const { device, inWidth, inHeight } = this.o;
    const bind = device.createBindGroup({
      layout: this.packPipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: frame.createView() },
        { binding: 1, resource: this.sampler },
        { binding: 2, resource: { buffer: this.inputBuffer } },
        { binding: 3, resource: { buffer: this.packParams } },
      ],
    });
    const enc = device.createCommandEncoder({ label: "remaster-pack" });
    const pass = enc.beginComputePass();
    pass.setPipeline(this.packPipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(inWidth / 8), Math.ceil(inHeight / 8));
    pass.end();
    device.queue.submit([enc.finish()]);
  }

  /** Runs the network on the packed input and writes the result texture. All on the GPU queue. */
  async infer(): Promise<void> {
    const out = await this.o.session.run({ [this.o.inputName]: this.inputTensor });
    const tensor = out[this.o.outputName];
    try {
      if (this.disposed) return;
      const buffer = (tensor as Tensor & { gpuBuffer: GPUBuffer }).gpuBuffer;
      const { device } = this.o;
      const firstRun = !this.deviceChecked;
      if (firstRun) device.pushErrorScope("validation");
      const bind = device.createBindGroup({
        layout: this.unpackPipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer } },
          { binding: 1, resource: this.result.createView() },
          { binding: 2, resource: { buffer: this.unpackParams } },
        ],
      });
      if (firstRun) {
        // The default onnxruntime-web build ignores a foreign device and computes on its own one:
        // its output buffer then cannot be bound on ours. Refuse rather than show wrong pixels.
        const err = await device.popErrorScope();
        if (err) throw new Error(`onnxruntime-web did not run on Babylon's GPUDevice (${err.message.split("\n")[0]}); use the onnxruntime-web/webgpu build`);
        this.deviceChecked = true;
      }
      const enc = device.createCommandEncoder({ label: "remaster-unpack" });
      const pass = enc.beginComputePass();
      pass.setPipeline(this.unpackPipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(Math.ceil(this.outWidth / 8), Math.ceil(this.outHeight / 8));
      pass.end();
      device.queue.submit([enc.finish()]);
    } finally {
      // The output tensor owns a GPU buffer from onnxruntime's pool: give it back every run.
      tensor.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.inputTensor.dispose();
    this.inputBuffer.destroy();
    this.packParams.destroy();
    this.unpackParams.destroy();
    this.result.destroy();
  }
}
