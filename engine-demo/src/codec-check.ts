/**
 * Test hook for the plugin's GPU tensor codec (remaster.html, WebGPU only): packs a known texture
 * into the NCHW tensor buffer and unpacks a known tensor into the result texture, and reads both
 * back so a test can compare them with the values they must hold. float16 runs the same
 * pack2x16float/unpack2x16float shaders the fp16 models use, on any device (no shader-f16 needed).
 */
import { TensorCodec } from "../../plugin/src/webgpu/tensorCodec.ts";
import type { TensorDtype } from "../../plugin/src/webgpu/shaders.ts";

export interface CodecCheck {
  width: number;
  height: number;
  /** Source texture, RGBA8, rows top-first. */
  source: number[];
  /** The input tensor after pack, as numbers (NCHW). */
  packed: number[];
  /** The tensor written into the output buffer (NCHW, already rounded to the dtype). */
  tensor: number[];
  /** The result texture after unpack, RGBA8, rows as stored. */
  unpacked: number[];
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function floatToHalf(v: number): number {
  // Exact for the test's values (multiples of 1/64 in [0, 1]).
  if (v === 0) return 0;
  const e = Math.floor(Math.log2(v));
  const f = Math.round((v / 2 ** e - 1) * 1024);
  return ((e + 15) << 10) | f;
}

/** Copies GPU data into a mappable buffer with `copy` and returns its bytes (test-only readback). */
async function readBack(
  device: GPUDevice,
  size: number,
  copy: (enc: GPUCommandEncoder, dst: GPUBuffer) => void,
): Promise<ArrayBuffer> {
  const rb = device.createBuffer({
    label: "test-readback",
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = device.createCommandEncoder();
  copy(enc, rb);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const out = rb.getMappedRange().slice(0);
  rb.destroy();
  return out;
}

export async function codecCheck(device: GPUDevice, dtype: TensorDtype, flipY: boolean): Promise<CodecCheck> {
  const width = 8;
  const height = 4;
  const source: number[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) source.push(x * 32, y * 64, (x * 7 + y * 13) % 256, 255);
  const tex = device.createTexture({
    label: "test-source",
    size: [width, height],
    format: "rgba8unorm",
    usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
  });
  device.queue.writeTexture({ texture: tex }, new Uint8Array(source), { bytesPerRow: width * 4 }, [width, height]);
  const codec = new TensorCodec({
    device,
    dtype,
    inWidth: width,
    inHeight: height,
    outWidth: width,
    outHeight: height,
    flipY,
  });
  // The output buffer is onnxruntime's in the plugin; here one of ours, padded as onnxruntime pads.
  const output = device.createBuffer({
    label: "test-output",
    size: 16 * Math.ceil((3 * width * height * (dtype === "float16" ? 2 : 4)) / 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
  codec.setOutput(output);
  try {
    codec.pack(tex);
    const n = 3 * width * height;
    const raw = await readBack(device, codec.input.size, (enc, dst) =>
      enc.copyBufferToBuffer(codec.input, 0, dst, 0, codec.input.size),
    );
    const packed = dtype === "float16" ? [...new Uint16Array(raw)].map(halfToFloat) : [...new Float32Array(raw)];
    const tensor = Array.from({ length: n }, (_, i) => ((i * 5) % 65) / 64);
    device.queue.writeBuffer(
      codec.output,
      0,
      dtype === "float16" ? new Uint16Array(tensor.map(floatToHalf)) : new Float32Array(tensor),
    );
    codec.unpack();
    // Texture rows are copied 256-byte aligned.
    const rows = new Uint8Array(
      await readBack(device, 256 * height, (enc, dst) =>
        enc.copyTextureToBuffer({ texture: codec.result }, { buffer: dst, bytesPerRow: 256 }, [width, height]),
      ),
    );
    const unpacked: number[] = [];
    for (let y = 0; y < height; y++) unpacked.push(...rows.subarray(y * 256, y * 256 + width * 4));
    return { width, height, source, packed, tensor, unpacked };
  } finally {
    codec.dispose();
    output.destroy();
    tex.destroy();
  }
}
