/**
 * Every use of Babylon.js API that is not public, in one place. Babylon may rename or remove any
 * of these in a minor release; `missingInternals(engine)` lists the ones a live engine lacks, and
 * the tests call it on both engines (browser) and check the prototypes (Node), so an update that
 * breaks one fails loudly there instead of silently in a game.
 *
 * Used (engine kind in brackets):
 *   engine._device                     [webgpu] Babylon's GPUDevice, shared with onnxruntime-web
 *   texture._hardwareTexture           [both]   .underlyingResource: the GPUTexture / WebGLTexture
 *   engine.wrapWebGPUTexture(t)        [webgpu] public, but its hardware texture has no view until
 *   hardwareTexture.createView(d)      [webgpu] we make one (Babylon binds `.view`)
 *   engine._gl, _currentFramebuffer    [webgl2] to attach the frame texture to our framebuffer
 *   engine._readPixelsAsync(...)       [webgl2] readPixels into a pixel-pack buffer + fence
 *   engine._readTexturePixels(...)     [both]   the generic texture readback (fallback)
 *   pipelineContext.uniformBuffer      [webgpu] an effect's "leftOver" uniform buffer, released with it
 *   engine._cacheBindGroups            [webgpu] its class's static `_Cache`: the bind group cache, from
 *                                               which the composite's dropped textures' entries are
 *                                               removed (the runner's result, Babylon's inputs,
 *                                               the blank, and all of them when the effect is disposed)
 */
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import type { Effect } from "@babylonjs/core/Materials/effect.js";
import type { InternalTexture } from "@babylonjs/core/Materials/Textures/internalTexture.js";

/** A Babylon texture as the plugin reads it: its size, pixel type and GPU resource. */
export interface FrameTexture {
  width: number;
  height: number;
  type?: number;
  _hardwareTexture?: { underlyingResource: unknown } | null;
}

/**
 * Runs `dispose` (the post-process's, which releases `effect` when it was its last user), then
 * frees the effect's WebGPU "leftOver" uniform buffer (the uniforms it declares outside a uniform
 * block: the composite's `strength`, `hasResult`) if the effect is gone. Babylon 9's WebGPU engine
 * does not: `_releaseEffect` only resets the pipeline cache, and the engine's own list of uniform
 * buffers keeps the buffer, and its GPUBuffer, for the engine's life: one per RemasterPostProcess
 * that came and went (the soak's +1 live GPU buffer per replaced effect). An effect another
 * post-process still shares keeps its buffer; WebGL2 has none. Checked by the plugin's dispose
 * test (which counts this buffer), not by `missingInternals`.
 */
export function disposeFreeingLeftoverUniforms(effect: Effect | null, dispose: () => void): void {
  const buffer = leftoverUniforms(effect); // taken before: the effect's release may drop its context
  dispose();
  if (effect?.isDisposed) buffer?.dispose();
}

/** A Babylon uniform buffer, as far as the plugin handles one. */
export interface LeftoverUniforms {
  dispose(): void;
}

/** The effect's WebGPU "leftOver" uniform buffer (undefined on WebGL2, or before the effect is built). */
export function leftoverUniforms(effect: Effect | null): LeftoverUniforms | undefined {
  return (effect?.getPipelineContext() as { uniformBuffer?: LeftoverUniforms } | null | undefined)?.uniformBuffer;
}

/**
 * After a WebGPU device loss and Babylon's restore, frees `lost` (the effect's leftover-uniform
 * buffer taken at the loss) once the effect has built a new one; returns whether it is freed (or
 * there was none). Babylon 9's restore drops the leftover buffers from the engine's list and
 * rebuilds every effect, which makes new ones, but never disposes the old ones: the post-process's
 * draw context keeps the old buffer in its owned-slot list (`_uniformBuffersWithOwnedSlot`), with
 * the lost device's GPUBuffer, for the post-process's life, one more per loss (found by the heap
 * snapshot's retainer paths, 2026-11-25). Its dispose removes that back-link. Checked by the
 * WebGPU device-loss test (`staleLeftoverUniforms` on the test page).
 */
export function freeLostLeftoverUniforms(effect: Effect | null, lost: LeftoverUniforms | undefined): boolean {
  if (!lost) return true;
  const now = leftoverUniforms(effect);
  if (!now || now === lost) return false; // the effect is not rebuilt yet
  lost.dispose();
  return true;
}

/** Babylon's GPUDevice (a device loss replaces it: read it again after a restore). */
export function gpuDevice(engine: AbstractEngine): GPUDevice {
  return (engine as unknown as { _device: GPUDevice })._device;
}

/** The GPUTexture (WebGPU) or WebGLTexture (WebGL) behind a Babylon texture. */
export function hardwareResource<T>(texture: FrameTexture): T {
  const hw = texture._hardwareTexture;
  if (!hw) throw new Error("Babylon texture has no hardware texture (internal API changed?)");
  return hw.underlyingResource as T;
}

/**
 * Hands a GPUTexture to Babylon (which destroys it after the last frame that may sample it) and
 * gives its hardware texture the view Babylon binds.
 */
export function wrapGpuTexture(engine: AbstractEngine, texture: GPUTexture): InternalTexture {
  const wrapped = (engine as unknown as { wrapWebGPUTexture(t: GPUTexture): InternalTexture }).wrapWebGPUTexture(
    texture,
  );
  const hw = wrapped._hardwareTexture as unknown as { createView(d: GPUTextureViewDescriptor): void };
  hw.createView({
    format: "rgba8unorm",
    dimension: "2d",
    mipLevelCount: 1,
    baseMipLevel: 0,
    baseArrayLayer: 0,
    arrayLayerCount: 1,
    aspect: "all",
  });
  return wrapped;
}

/** A node of Babylon's WebGPU bind group cache (WebGPUCacheBindGroups._Cache): children by resource key. */
interface BindGroupCacheNode {
  values: Record<string, BindGroupCacheNode>;
  bindGroups?: unknown;
}

/** A texture's key in that cache: its InternalTexture.uniqueId + Babylon's TextureIdStart (2 ** 35,
 * webgpuCacheBindGroups.js; buffers and samplers have keys below it). */
const BIND_GROUP_CACHE_TEXTURE_ID_START = 2 ** 35;

/** The cache's root (a static of Babylon's class, reached through the engine's instance), or null on
 * WebGL2 or when Babylon's internals changed. */
function bindGroupCacheRoot(engine: AbstractEngine): BindGroupCacheNode | null {
  const cache = (engine as unknown as { _cacheBindGroups?: { constructor: { _Cache?: BindGroupCacheNode } } })
    ._cacheBindGroups;
  return cache?.constructor._Cache ?? null;
}

/** Every node of the cache, each once (the tree is small: a node per distinct binding path). */
function forEachBindGroupCacheNode(root: BindGroupCacheNode, visit: (n: BindGroupCacheNode) => void): void {
  const stack = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    visit(n);
    for (const k in n.values) stack.push(n.values[k]);
  }
}

/**
 * Removes every entry of Babylon's WebGPU bind group cache keyed by `texture` (with the GPUBindGroups
 * under them, which hold its view); returns how many. The cache is a tree keyed by the ids of the
 * buffers, samplers and textures each draw binds, and Babylon 9 never prunes it (it resets it at a
 * device loss only): every texture a draw ever bound stays there, with its bind groups, for the
 * device's life. The WebGPU runner gives the composite a new result texture at every new input size
 * (each resize) and every rebuilt runner, and drops the old one: without this, one more path per
 * resize (most of the WebGPU soak's page-part drift: a median +2.1 KB per 500 frames of 5 resizes,
 * +0.9 with this; the control without the effect +0.4; found 2026-12-07).
 * Checked by the WebGPU resize test (the old result texture's key gone, the new one's there).
 */
export function forgetTextureBindGroups(engine: AbstractEngine, texture: { uniqueId: number }): number {
  const root = bindGroupCacheRoot(engine);
  if (!root) return 0;
  const key = String(texture.uniqueId + BIND_GROUP_CACHE_TEXTURE_ID_START);
  let removed = 0;
  forEachBindGroupCacheNode(root, (n) => {
    if (key in n.values) {
      delete n.values[key];
      removed++;
    }
  });
  return removed;
}

/**
 * The textures one draw binds, each removed from Babylon's WebGPU bind group cache once Babylon has
 * disposed it (`forgetTextureBindGroups`; nothing on WebGL2). For a texture the draw does not own:
 * the composite's input, Babylon's render target, which Babylon makes anew at a new size (and
 * disposes when its post-process has not used it for 100 frames), leaving the composite's bind
 * groups of it in the cache for the device's life. `bind` runs every frame: a set of a few textures.
 */
export class BoundTextures {
  private readonly seen = new Set<{ uniqueId: number; _hardwareTexture?: unknown }>();
  constructor(private readonly engine: AbstractEngine) {}

  /** `texture` is bound now; the ones bound before and disposed since leave the cache. */
  bind(texture: { uniqueId: number; _hardwareTexture?: unknown } | null | undefined): void {
    if (!texture || !this.engine.isWebGPU) return;
    this.seen.add(texture);
    if (this.seen.size > 1) this.forgetDisposed(texture);
  }

  /** Every texture seen and disposed since (but `keep`) leaves the cache: what `bind` does each frame,
   * and what the draw's owner does once it is disposed itself (its own render targets went with it,
   * and no later `bind` will come to prune them). */
  forgetDisposed(keep?: object): void {
    for (const t of this.seen)
      if (t !== keep && !t._hardwareTexture) {
        forgetTextureBindGroups(this.engine, t);
        this.seen.delete(t);
      }
  }
}

/** The bind group cache, for diagnosis (the soak's samples, the tests): its nodes, the bind groups
 * it holds, and the uniqueIds of the textures it is keyed by. null on WebGL2. */
export function bindGroupCacheContents(
  engine: AbstractEngine,
): { nodes: number; bindGroups: number; textureIds: number[] } | null {
  const root = bindGroupCacheRoot(engine);
  if (!root) return null;
  let nodes = 0;
  let bindGroups = 0;
  const textureIds = new Set<number>();
  forEachBindGroupCacheNode(root, (n) => {
    nodes++;
    if (n.bindGroups) bindGroups++;
    for (const k in n.values)
      if (Number(k) >= BIND_GROUP_CACHE_TEXTURE_ID_START) textureIds.add(Number(k) - BIND_GROUP_CACHE_TEXTURE_ID_START);
  });
  return { nodes, bindGroups, textureIds: [...textureIds].sort((a, b) => a - b) };
}

/** readPixels into a pixel-pack buffer + fence; null when the engine cannot (then read synchronously). */
type ReadPixelsAsync = (
  x: number,
  y: number,
  w: number,
  h: number,
  format: number,
  type: number,
  out: Uint8Array,
) => Promise<Uint8Array> | null;

/** The WebGL2 side of Babylon's Engine that the asynchronous readback needs. */
export interface WebGl2Internals {
  gl: WebGL2RenderingContext;
  currentFramebuffer(): WebGLFramebuffer | null;
  readPixelsAsync: ReadPixelsAsync;
}

interface WebGl2Engine {
  _gl: WebGL2RenderingContext;
  _currentFramebuffer: WebGLFramebuffer | null;
  webGLVersion: number;
  _readPixelsAsync: ReadPixelsAsync;
}

/** The WebGL2 internals, or null on WebGPU / WebGL1 / an engine that lacks them. */
export function webgl2Internals(engine: AbstractEngine): WebGl2Internals | null {
  const e = engine as unknown as Partial<WebGl2Engine>;
  if (engine.isWebGPU || !(e.webGLVersion! >= 2) || !e._gl || typeof e._readPixelsAsync !== "function") return null;
  const full = e as WebGl2Engine;
  return {
    gl: full._gl,
    currentFramebuffer: () => full._currentFramebuffer,
    readPixelsAsync: (...args) => full._readPixelsAsync(...args),
  };
}

/** Babylon's generic texture readback (any engine): RGBA, rows bottom-up as the texture stores them. */
export function readTexturePixels(
  engine: AbstractEngine,
  texture: FrameTexture,
  width: number,
  height: number,
): Promise<ArrayBufferView> {
  return (
    engine as unknown as { _readTexturePixels(t: unknown, w: number, h: number): Promise<ArrayBufferView> }
  )._readTexturePixels(texture, width, height);
}

/** Which engine kinds use an internal, and how to see that it is there. */
export interface InternalUse {
  name: string;
  engines: ReadonlyArray<"webgl2" | "webgpu">;
  /** Where it lives: on the engine's prototype chain (method) or on the live object (field). */
  on: "engine" | "texture" | "wrappedTexture";
  kind: "method" | "field";
}

/** One list of the internals above (the tests iterate it; add a row when adding a use). */
export const INTERNALS: readonly InternalUse[] = [
  { name: "_device", engines: ["webgpu"], on: "engine", kind: "field" },
  { name: "wrapWebGPUTexture", engines: ["webgpu"], on: "engine", kind: "method" },
  { name: "createView", engines: ["webgpu"], on: "wrappedTexture", kind: "method" },
  { name: "_hardwareTexture", engines: ["webgl2", "webgpu"], on: "texture", kind: "field" },
  { name: "_gl", engines: ["webgl2"], on: "engine", kind: "field" },
  { name: "_currentFramebuffer", engines: ["webgl2"], on: "engine", kind: "field" },
  { name: "_readPixelsAsync", engines: ["webgl2"], on: "engine", kind: "method" },
  { name: "_readTexturePixels", engines: ["webgl2", "webgpu"], on: "engine", kind: "method" },
  { name: "_cacheBindGroups", engines: ["webgpu"], on: "engine", kind: "field" },
];

function has(obj: unknown, use: InternalUse): boolean {
  if (obj === null || obj === undefined) return false;
  const v = (obj as Record<string, unknown>)[use.name];
  return use.kind === "method" ? typeof v === "function" : use.name in (obj as object);
}

/**
 * Internals a live engine lacks (empty when all are there). `texture`: any texture of that engine
 * (e.g. a post-process output); on WebGPU a throwaway texture is wrapped to check the view hook.
 */
export function missingInternals(engine: AbstractEngine, texture: FrameTexture): string[] {
  const kind = engine.isWebGPU ? "webgpu" : "webgl2";
  const missing: string[] = [];
  let wrapped: InternalTexture | null = null;
  let scratch: GPUTexture | null = null;
  try {
    for (const use of INTERNALS.filter((u) => u.engines.includes(kind))) {
      let target: unknown = use.on === "engine" ? engine : texture;
      if (use.on === "wrappedTexture") {
        if (
          !wrapped &&
          typeof (engine as unknown as Record<string, unknown>).wrapWebGPUTexture === "function" &&
          gpuDevice(engine)
        ) {
          scratch = gpuDevice(engine).createTexture({
            label: "internals-probe",
            size: [1, 1],
            format: "rgba8unorm",
            usage: GPUTextureUsage.TEXTURE_BINDING,
          });
          wrapped = (engine as unknown as { wrapWebGPUTexture(t: GPUTexture): InternalTexture }).wrapWebGPUTexture(
            scratch,
          );
        }
        target = wrapped?._hardwareTexture;
      }
      if (!has(target, use)) missing.push(`${use.on}.${use.name}`);
    }
  } finally {
    wrapped?.dispose();
    scratch?.destroy();
  }
  return missing;
}

/**
 * Whether the GPU device / context is lost, or is found lost within `graceMs`: a failure inside an
 * inference can come before Babylon's lost event (WebGL's webglcontextlost is a later task; a
 * WebGPU device's `lost` promise resolves asynchronously), and must not count as the model's.
 * `device`: the GPUDevice the inference was started on (WebGPU).
 */
export async function lostMeanwhile(engine: AbstractEngine, device?: GPUDevice, graceMs = 500): Promise<boolean> {
  if (!engine.isWebGPU) {
    const gl = (engine as unknown as { _gl?: WebGLRenderingContext })._gl;
    return !!gl?.isContextLost();
  }
  // The device the inference ran on: Babylon may have made its successor by now.
  if (!device || device !== gpuDevice(engine)) return true;
  return Promise.race([device.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
}
