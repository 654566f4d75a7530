/**
 * A game's own scene for the dataset renderer: `npm run dataset -- --scene ./my-game/scene.ts`.
 *
 * The renderer bundles the module (esbuild, against the renderer's own Babylon.js, so `instanceof`
 * and engine registration hold) into the render harness page and builds the scene once per render
 * slot (low, high and the geometry mask), each on its own engine and canvas. So:
 * - `createScene` must build the same scene every time for the same `seed` (Math.random is seeded
 *   by the harness; other randomness must come from `seed`);
 * - scene time comes from `setTime` alone: the harness turns Babylon's own animation clock off;
 * - the camera is the renderer's: `applyQuality` receives it, attach post-processes and rendering
 *   pipelines to it (a camera the scene makes itself is left alone, but does not render).
 * Frames are what the canvas shows: RGBA8, sRGB, the game's own tone mapping applied.
 */
import type { Camera } from "@babylonjs/core/Cameras/camera.js";
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import type { Scene } from "@babylonjs/core/scene.js";
import type { CameraPose, QualityPreset } from "./contracts.ts";

export type { CameraPose, QualityPreset } from "./contracts.ts";

export interface SceneModuleContext {
  /** The dataset's seed (`--seed`): derive any randomness of the scene from it. */
  seed: number;
  /** URL of the folder the module file is in, ending in "/": the module's own textures and models. */
  assetsUrl: string;
  /** URL of a prefiltered environment (.env) the renderer serves, for image-based lighting. */
  environmentUrl: string;
}

/** What a scene module exports (named exports; `export default { ... }` works too). */
export interface SceneModule {
  /** Builds the scene on `engine` and returns it. Lights, meshes, materials, sky: as in the game. */
  createScene(engine: AbstractEngine, context: SceneModuleContext): Scene | Promise<Scene>;
  /**
   * The game's own quality menu: set `scene` up as its "low" or "high" setting (shadows, post-
   * processes, texture filtering, ...). Called once, after createScene, never for the mask.
   */
  applyQuality(scene: Scene, quality: QualityPreset, camera: Camera, context: SceneModuleContext): void | Promise<void>;
  /** Moves everything that moves to `seconds` of scene time. Default: a still scene. */
  setTime?(scene: Scene, seconds: number): void;
  /**
   * The camera on path `path` (0, 1, ... `--paths` - 1) at `seconds`: smooth in time, one path per
   * index. Default: the renderer's orbits around the scene's meshes.
   */
  cameraPose?(path: number, seconds: number, context: SceneModuleContext): CameraPose;
}

/** Each export: its name, whether it is required, and what it must be (for error messages). */
export const SCENE_MODULE_EXPORTS: ReadonlyArray<{ name: keyof SceneModule; required: boolean; shape: string }> = [
  { name: "createScene", required: true, shape: "(engine, context) => Scene | Promise<Scene>" },
  { name: "applyQuality", required: true, shape: '(scene, quality: "low" | "high", camera, context) => void' },
  { name: "setTime", required: false, shape: "(scene, seconds) => void" },
  { name: "cameraPose", required: false, shape: "(path, seconds, context) => CameraPose" },
];

/** The module's exports: its named exports, or its default export when that is an object of them. */
function exportsOf(mod: unknown): Record<string, unknown> | null {
  if (typeof mod !== "object" || mod === null) return null;
  const m = mod as Record<string, unknown>;
  const d = m.default;
  return typeof d === "object" && d !== null && !("createScene" in m) ? (d as Record<string, unknown>) : m;
}

/** Problems with a module's exports, each naming the module and the export (empty: usable). */
export function sceneModuleProblems(name: string, mod: unknown): string[] {
  const exports = exportsOf(mod);
  if (!exports) return [`scene module ${name}: not a module object`];
  const problems: string[] = [];
  for (const e of SCENE_MODULE_EXPORTS) {
    const v = exports[e.name];
    if (v === undefined) {
      if (e.required) problems.push(`scene module ${name}: missing export "${e.name}", a function ${e.shape}`);
    } else if (typeof v !== "function") {
      problems.push(`scene module ${name}: export "${e.name}" must be a function ${e.shape}; it is a ${typeof v}`);
    }
  }
  return problems;
}

let registered: { name: string; module: SceneModule | null; problems: string[] } | null = null;

/** Called by the generated harness entry with the user's module (never throws: see sceneModule()). */
export function registerSceneModule(name: string, mod: unknown): void {
  const problems = sceneModuleProblems(name, mod);
  registered = { name, module: problems.length ? null : (exportsOf(mod) as unknown as SceneModule), problems };
}

/** The module bundled into this page; throws an error naming the module and what is wrong. */
export function sceneModule(): { name: string; module: SceneModule } {
  if (!registered) throw new Error("no scene module is bundled into this page (run the renderer with --scene FILE.ts)");
  if (!registered.module) throw new Error(registered.problems.join("; "));
  return { name: registered.name, module: registered.module };
}
