/**
 * Compute shaders of the WebGPU path (WGSL only: they run on the GPUDevice directly, not through
 * Babylon's effect system, so they have no GLSL twin).
 * pack:   frame texture (any float-sampled format) -> NCHW tensor in [0, 1], resampled bilinearly
 *         to the network's input size; `flipY` for engines whose targets are stored bottom-up.
 * unpack: NCHW tensor -> rgba8unorm storage texture (clamped to [0, 1]); alpha 1, or 0 where a
 *         channel is NaN/inf (tested on the bits: WGSL may assume floats are finite), so the
 *         composite passes that pixel of the frame through instead of showing black.
 * Tensor element types: float32 (array<f32>) or float16. float16 tensors are written and read as
 * array<u32> with pack2x16float/unpack2x16float (core WGSL: no `enable f16` needed), two
 * horizontally adjacent pixels per invocation, so the tensor width must be even.
 */
export type TensorDtype = "float32" | "float16";

/** Pixels handled per invocation along x (float16 packs two per 32-bit word). */
export const PIXELS_PER_INVOCATION: Record<TensorDtype, number> = { float32: 1, float16: 2 };

const PACK_COMMON = /* wgsl */ `
struct Params { outSize: vec2u, flipY: u32, pad: u32 };
@group(0) @binding(0) var frame: texture_2d<f32>;
@group(0) @binding(1) var frameSampler: sampler;
@group(0) @binding(3) var<uniform> params: Params;

fn sampleAt(p: vec2u) -> vec3f {
  var uv = (vec2f(p) + 0.5) / vec2f(params.outSize);
  if (params.flipY == 1u) { uv.y = 1.0 - uv.y; }
  return clamp(textureSampleLevel(frame, frameSampler, uv, 0.0).rgb, vec3f(0.0), vec3f(1.0));
}
`;

const PACK_F32 = /* wgsl */ `${PACK_COMMON}
@group(0) @binding(2) var<storage, read_write> tensor: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let size = params.outSize;
  if (id.x >= size.x || id.y >= size.y) { return; }
  let c = sampleAt(id.xy);
  let plane = size.x * size.y;
  let i = id.y * size.x + id.x;
  tensor[i] = c.r;
  tensor[plane + i] = c.g;
  tensor[2u * plane + i] = c.b;
}
`;

const PACK_F16 = /* wgsl */ `${PACK_COMMON}
@group(0) @binding(2) var<storage, read_write> tensor: array<u32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let size = params.outSize;
  let x = id.x * 2u;
  if (x >= size.x || id.y >= size.y) { return; }
  let a = sampleAt(vec2u(x, id.y));
  let b = sampleAt(vec2u(x + 1u, id.y));
  let half = size.x * size.y / 2u;
  let w = (id.y * size.x + x) / 2u;
  tensor[w] = pack2x16float(vec2f(a.r, b.r));
  tensor[half + w] = pack2x16float(vec2f(a.g, b.g));
  tensor[2u * half + w] = pack2x16float(vec2f(a.b, b.b));
}
`;

const UNPACK_COMMON = /* wgsl */ `
struct Params { size: vec2u, flipY: u32, pad: u32 };
@group(0) @binding(1) var result: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(2) var<uniform> params: Params;

fn finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn store(x: u32, y: u32, rgb: vec3f) {
  var row = y;
  if (params.flipY == 1u) { row = params.size.y - 1u - y; }
  let ok = finite(rgb.r) && finite(rgb.g) && finite(rgb.b);
  let c = select(vec3f(0.0), clamp(rgb, vec3f(0.0), vec3f(1.0)), ok);
  textureStore(result, vec2u(x, row), vec4f(c, select(0.0, 1.0, ok)));
}
`;

const UNPACK_F32 = /* wgsl */ `${UNPACK_COMMON}
@group(0) @binding(0) var<storage, read> tensor: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let size = params.size;
  if (id.x >= size.x || id.y >= size.y) { return; }
  let plane = size.x * size.y;
  let i = id.y * size.x + id.x;
  store(id.x, id.y, vec3f(tensor[i], tensor[plane + i], tensor[2u * plane + i]));
}
`;

const UNPACK_F16 = /* wgsl */ `${UNPACK_COMMON}
@group(0) @binding(0) var<storage, read> tensor: array<u32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let size = params.size;
  let x = id.x * 2u;
  if (x >= size.x || id.y >= size.y) { return; }
  let half = size.x * size.y / 2u;
  let w = (id.y * size.x + x) / 2u;
  let r = unpack2x16float(tensor[w]);
  let g = unpack2x16float(tensor[half + w]);
  let b = unpack2x16float(tensor[2u * half + w]);
  store(x, id.y, vec3f(r.x, g.x, b.x));
  store(x + 1u, id.y, vec3f(r.y, g.y, b.y));
}
`;

export function packWGSL(dtype: TensorDtype): string {
  return dtype === "float16" ? PACK_F16 : PACK_F32;
}

export function unpackWGSL(dtype: TensorDtype): string {
  return dtype === "float16" ? UNPACK_F16 : UNPACK_F32;
}
