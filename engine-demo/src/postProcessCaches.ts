/**
 * The GPU objects of render targets that Babylon's post-processes keep cached for a size they no
 * longer render at (counted on the soak page, soak-page.ts).
 * A post-process makes its output target per size and keeps the old ones in its texture cache
 * (`_textureCache`), disposing one once 100 of the post-process's own frames have passed without
 * it (`_flushTextureCache`, run each frame the post-process is active: while it is disabled its
 * clock stands still). So a sample taken within 100 active frames of a resize also counts the
 * other size's target (WebGL2: its texture, framebuffer and depth renderbuffer), and created
 * minus destroyed differs from sample to sample by what those caches hold at that moment, not by
 * anything kept for good: found when the WebGL2 soak's count fell from 25 to 22 textures at the
 * model swap (2026-12-07), the new effect's cache holding less than the old one's. The soak
 * counts these apart, and judges constancy without them (bench/soakFigures.ts).
 */
import type { PostProcess } from "@babylonjs/core/PostProcesses/postProcess.js";
import type { Scene } from "@babylonjs/core/scene.js";
import { gpuObjects } from "./gpuObjectCounter.ts";

/** Babylon 9 private state read here (PostProcess: `_textureCache`, `_textures`; a render target
 * wrapper's `texture`, `textures`, `_depthStencilTexture`; an InternalTexture's `_hardwareTexture`,
 * which holds the GL/GPU handle). */
interface PostProcessPrivates {
  _textureCache?: Array<{ texture: object }>;
  _textures?: { data: unknown[]; length: number };
}
interface WrapperPrivates {
  texture?: TexturePrivates | null;
  textures?: Array<TexturePrivates | null> | null;
  _depthStencilTexture?: TexturePrivates | null;
}
interface TexturePrivates {
  _hardwareTexture?: object | null;
}

/** Values an object holds in its own fields (arrays flattened), but the engine and context. */
const fieldsOf = (o: object): unknown[] =>
  Object.entries(o)
    .filter(([k]) => k !== "_engine" && k !== "_context")
    .flatMap(([, v]) => (Array.isArray(v) ? v : [v]));

/** The GL / GPU handles of a render target wrapper: its own fields (framebuffers, renderbuffers)
 * and its textures' hardware textures' fields (the texture, MSAA renderbuffers). */
function handlesOf(wrapper: object): Set<unknown> {
  const w = wrapper as WrapperPrivates;
  const textures = [w.texture, ...(w.textures ?? []), w._depthStencilTexture];
  const hardware = textures.map((t) => t?._hardwareTexture).filter((h): h is object => !!h);
  return new Set([...fieldsOf(wrapper), ...hardware.flatMap(fieldsOf)]);
}

/** The scene's post-processes: its own list and each camera's. */
export function postProcessesOf(scene: Scene): PostProcess[] {
  const cameras = scene.cameras.flatMap(
    (c) => (c as unknown as { _postProcesses: Array<PostProcess | null> })._postProcesses,
  );
  return [...new Set([...scene.postProcesses, ...cameras])].filter((p): p is PostProcess => !!p);
}

/** Counted GPU buffers and textures of the current device / context held only by post-processes'
 * cached targets that no post-process is rendering to now. */
export function idleCachedGpuObjects(postProcesses: PostProcess[]): { buffers: number; textures: number } {
  const handles = new Set<unknown>();
  for (const p of postProcesses as unknown as PostProcessPrivates[]) {
    const inUse = new Set(p._textures?.data.slice(0, p._textures.length) ?? []);
    for (const c of p._textureCache ?? [])
      if (!inUse.has(c.texture)) for (const h of handlesOf(c.texture)) handles.add(h);
  }
  const out = { buffers: 0, textures: 0 };
  for (const h of handles) {
    const kind = gpuObjects.liveKind(h);
    if (kind) out[kind]++;
  }
  return out;
}
