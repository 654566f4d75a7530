/**
 * Compute shaders of the WebGPU path (WGSL only: they run on the GPUDevice directly, not through
 * Babylon's effect system, so they have no GLSL twin).
 * pack:   frame texture (any float-sampled format) -> NCHW float32 tensor in [0, 1], resampled
 *         bilinearly to the network's input size; `flipY` for engines whose targets are stored
 *         bottom-up.
 * unpack: NCHW float32 tensor -> rgba8unorm storage texture (clamped to [0, 1]).
 */
export const PACK_WGSL = /* wgsl */ `
struct Params { outSize: vec2u, flipY: u32, pad: u32 };
@group(0) @binding(0) var frame: texture_2d<f32>;
@group(0) @binding(1) var frameSampler: sampler;
@group(0) @binding(2) var<storage, read_write> tensor: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let size = params.outSize;
  if (id.x >= size.x || id.y >= size.y) { return; }
  var uv = (vec2f(id.xy) + 0.5) / vec2f(size);
  if (params.flipY == 1u) { uv.y = 1.0 - uv.y; }
  let c = textureSampleLevel(frame, frameSampler, uv, 0.0);
  let plane = size.x * size.y;
  let i = id.y * size.x + id.x;
  tensor[i] = clamp(c.r, 0.0, 1.0);
  tensor[plane + i] = clamp(c.g, 0.0, 1.0);
  tensor[2u * plane + i] = clamp(c.b, 0.0, 1.0);
}
`;

export const UNPACK_WGSL = /* wgsl */ `
struct Params { size: vec2u, flipY: u32, pad: u32 };
@group(0) @binding(0) var<storage, read> tensor: array<f32>;
@group(0) @binding(1) var result: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let size = params.size;
  if (id.x >= size.x || id.y >= size.y) { return; }
  let plane = size.x * size.y;
  let i = id.y * size.x + id.x;
  let rgb = clamp(vec3f(tensor[i], tensor[plane + i], tensor[2u * plane + i]), vec3f(0.0), vec3f(1.0));
  var y = id.y;
  if (params.flipY == 1u) { y = size.y - 1u - id.y; }
  textureStore(result, vec2u(id.x, y), vec4f(rgb, 1.0));
}
`;
