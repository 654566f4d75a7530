/**
 * Data contracts shared by the demo, the render harness and the dataset renderer.
 *
 * Frames: RGBA8 bytes, row 0 at the TOP of the image, sRGB-encoded (the same values the canvas
 * shows), alpha always 255. Width and height are multiples of 8 (the network downsamples by 8).
 */

export type EngineKind = "webgl2" | "webgpu";
export const ENGINE_KINDS: readonly EngineKind[] = ["webgl2", "webgpu"];

/** What a game's settings menu would call "Low" and "High". */
export type QualityPreset = "low" | "high";
export const QUALITY_PRESETS: readonly QualityPreset[] = ["low", "high"];

/**
 * One way of rendering a frame. `low` and `high` are the pair; the others are baselines that
 * the evaluation compares the network against (same frame, same camera).
 * - `low_fxaa_sharpen`: low + Babylon's FXAA and sharpen post-processes.
 * - `low_fsr1`: low rendered at reduced scale and upscaled by Babylon's FSR1 pipeline
 *   (WebGPU only: Babylon ships FSR1 shaders in WGSL alone).
 */
export type RenderVariant = "low" | "high" | "low_fxaa_sharpen" | "low_fsr1";
export const RENDER_VARIANTS: readonly RenderVariant[] = ["low", "high", "low_fxaa_sharpen", "low_fsr1"];
export const EXTRA_VARIANTS: readonly RenderVariant[] = ["low_fxaa_sharpen", "low_fsr1"];

/** Shadow map sizes a low preset may keep (quality.ts lowShadows, `--low-shadows`): powers of two up to high's 2048. */
export const LOW_SHADOW_MAP_SIZES: readonly number[] = [256, 512, 1024, 2048];

/** The preset a render variant is built on. */
export function presetOf(variant: RenderVariant): QualityPreset {
  return variant === "high" ? "high" : "low";
}

/** Frames per second of scene time: frame index f is at time f / SCENE_FPS seconds. */
export const SCENE_FPS = 30;

/**
 * Which scene to build: the procedural demo (one of its layouts), a randomised world (domain
 * randomisation: `world` picks the world, `seed` the camera paths), a user's glTF, or a game's
 * own scene module (sceneModule.ts: the one bundled into the harness page; `assetsUrl` is where
 * its folder is served).
 */
export type SceneSource =
  | { kind: "demo"; layout: string; seed: number }
  | { kind: "random"; world: number; seed: number }
  | { kind: "gltf"; url: string; seed: number }
  | { kind: "module"; assetsUrl: string; seed: number };

/** A camera pose in world space (left-handed, Y up, as Babylon). */
export interface CameraPose {
  position: [number, number, number];
  target: [number, number, number];
  /** Vertical field of view in radians. */
  fov: number;
}

/**
 * The geometry mask of a frame: every surface white (alpha-tested cards by their alpha), the
 * background black; unlit, no post-processing. Evaluation uses it to score object pixels alone.
 */
export const MASK = "mask" as const;
/** What the harness can render for a frame: a render variant, or the geometry mask. */
export type FrameKind = RenderVariant | typeof MASK;

export interface FrameRequest {
  /** Frame index; scene time is frame / SCENE_FPS. */
  frame: number;
  /** Camera path index within the scene (seeded, smooth). */
  path: number;
  variant: FrameKind;
  /** Mask frames of a harness set up with `depth`: also read the depth back. */
  withDepth?: boolean;
}

/** How the render harness is set up: one engine kind, one output size, the variants to render. */
export interface HarnessOptions {
  engine: EngineKind;
  /** Output size in pixels (multiples of 8). */
  width: number;
  height: number;
  source: SceneSource;
  variants: RenderVariant[];
  /** Also set up the geometry mask (renderFrame with variant "mask"). */
  mask?: boolean;
  /** With `mask`: the mask frame also carries camera-space depth (RenderedFrame.depthBase64). */
  depth?: boolean;
  /** URL of the prefiltered environment for the high preset's image-based lighting. */
  envUrl: string;
  /**
   * Fraction of the output size the `low` variant is rendered at (e.g. 0.5); the low frame is
   * then smaller than the high one. Also the internal scale of `low_fsr1`. Default 1 (0.5 for FSR1).
   */
  lowRenderScale?: number;
  /** Low variants keep a hard shadow map of this size (quality.ts LOW_SHADOW_MAP_SIZES); default none. */
  lowShadowMapSize?: number;
}

export interface HarnessInfo {
  engine: EngineKind;
  adapter: string;
  variants: Record<string, { width: number; height: number; postProcesses: string[] }>;
}

export interface RenderedFrame {
  width: number;
  height: number;
  /** RGBA8, top row first, sRGB; base64 when it crosses the page boundary. */
  rgbaBase64: string;
  pose: CameraPose;
  /** Milliseconds spent in scene.render + GPU completion (excludes readback and transfer). */
  renderMs: number;
  /** Milliseconds spent reading the pixels back and encoding them for transfer. */
  readbackMs: number;
  /**
   * Mask frames of a harness set up with `depth`: camera-space depth in metres (view z, along the
   * view direction), float32 little-endian, top row first, 0 on the background; base64.
   */
  depthBase64?: string;
  /** The camera's near and far planes (depth beyond them is clipped). */
  depthRange?: [number, number];
  /** The direction the scene's first directional light (the sun) travels, world space, unit length; absent without one. */
  sunDirection?: [number, number, number];
}

/** Checks that a size is a positive multiple of 8; throws naming the field otherwise. */
export function assertFrameSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0 || value % 8 !== 0) {
    throw new Error(`${name} must be a positive multiple of 8 (the network downsamples by 8); got ${value}`);
  }
}
