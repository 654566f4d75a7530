/**
 * What `--scene` names, and everything that follows from it: the layouts a dataset is made of,
 * which split each layout (or path) lands in, and the SceneSource the harness builds per layout.
 *   courtyard        the demo scene: its four layouts, `--test-layout` held out as test
 *   random           randomised worlds world-0000 ... (`--scenes N`), whole worlds held out
 *   path/file.glb    one glTF scene: camera paths held out
 *   path/folder/     every .glb/.gltf in the folder is a layout: whole files held out
 *   path/scene.ts    a game's scene module (engine-demo/src/sceneModule.ts; also .js/.mjs/.mts):
 *                    one layout, camera paths held out
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { SceneSource } from "../../../engine-demo/src/contracts.ts";
import { DEMO_LAYOUTS, DEMO_SCENE_NAME } from "../../../engine-demo/src/layouts.ts";
import { hashSeed } from "../../../engine-demo/src/rng.ts";
import type { Split } from "./contract.ts";
import { isSceneModule } from "./sceneModuleBundle.ts";

export const RANDOM_SCENE_NAME = "random";
/** Share of whole layouts (random worlds, glTF files) held out as the test split. */
export const TEST_LAYOUT_FRACTION = 0.2;

export type SceneKind = "demo" | "random" | "gltf" | "gltf-folder" | "module";

export interface SceneOptions {
  scene: string;
  seed: number;
  /** Random worlds in the dataset (`--scene random`). */
  scenes: number;
  testLayout: string;
  valFraction: number;
}

const GLTF = /\.(glb|gltf)$/i;

export function isGltfScene(scene: string): boolean {
  return GLTF.test(scene);
}

export function sceneKind(scene: string): SceneKind {
  if (scene === DEMO_SCENE_NAME) return "demo";
  if (scene === RANDOM_SCENE_NAME) return "random";
  if (isSceneModule(scene)) return "module";
  return isGltfScene(scene) ? "gltf" : "gltf-folder";
}

/** The .glb/.gltf files of a folder scene, sorted. */
export function gltfFolderFiles(folder: string): string[] {
  return readdirSync(resolve(folder))
    .filter((f) => GLTF.test(f))
    .sort();
}

/** Throws an error naming the option when `--scene` does not name a usable scene. */
export function checkScene(o: SceneOptions): void {
  const kind = sceneKind(o.scene);
  if (kind === "demo" && !(DEMO_LAYOUTS as readonly string[]).includes(o.testLayout)) {
    throw new Error(`--test-layout: unknown layout "${o.testLayout}"; expected one of ${DEMO_LAYOUTS.join(", ")}`);
  }
  if (kind === "random" && o.scenes < 3)
    throw new Error(`--scenes must be at least 3 (train, val and test worlds); got ${o.scenes}`);
  if (kind === "gltf" || kind === "module") {
    const path = resolve(o.scene);
    const what = kind === "gltf" ? "glTF file" : "scene module";
    if (!existsSync(path) || !statSync(path).isFile()) throw new Error(`--scene: ${what} not found: ${path}`);
  }
  if (kind === "gltf-folder") {
    const path = resolve(o.scene);
    if (!existsSync(path) || !statSync(path).isDirectory()) {
      throw new Error(
        `--scene: unknown scene "${o.scene}"; expected "${DEMO_SCENE_NAME}", "${RANDOM_SCENE_NAME}", a .glb/.gltf file or a folder of them`,
      );
    }
    const n = gltfFolderFiles(path).length;
    if (n < 2)
      throw new Error(`--scene ${path}: a folder scene needs at least 2 .glb/.gltf files (one held out); found ${n}`);
  }
}

/** A scene module's one layout: its file stem, or its folder's name for a generic stem (scene.ts, index.ts). */
export function moduleLayoutName(path: string): string {
  const stem = basename(path).replace(/\.[^.]+$/, "");
  return ["scene", "index", "main"].includes(stem) ? basename(dirname(resolve(path))) : stem;
}

/** The layouts of a dataset: demo layout names, world-NNNN, or glTF file stems. */
export function layoutsOf(o: SceneOptions): string[] {
  switch (sceneKind(o.scene)) {
    case "demo":
      return [...DEMO_LAYOUTS];
    case "random":
      return Array.from({ length: o.scenes }, (_, k) => `world-${String(k).padStart(4, "0")}`);
    case "gltf":
      return [basename(o.scene).replace(GLTF, "")];
    case "module":
      return [moduleLayoutName(o.scene)];
    case "gltf-folder":
      return gltfFolderFiles(o.scene).map((f) => f.replace(GLTF, ""));
  }
}

/**
 * Splits fixed per layout (whole layouts held out): the last ~20% of the layouts are test, the
 * `valFraction` before them val (none with fewer than three layouts). Empty for the demo (one
 * held-out layout, val by path) and a single glTF (paths held out): see plan.ts.
 */
export function layoutSplits(o: SceneOptions): Record<string, Split> {
  const kind = sceneKind(o.scene);
  if (kind === "demo" || kind === "gltf" || kind === "module") return {};
  const layouts = layoutsOf(o);
  const n = layouts.length;
  const nTest = Math.max(1, Math.round(n * TEST_LAYOUT_FRACTION));
  const nVal = n >= 3 ? Math.max(1, Math.round(n * o.valFraction)) : 0;
  return Object.fromEntries(
    layouts.map((l, i) => [l, i >= n - nTest ? "test" : i >= n - nTest - nVal ? "val" : "train"]),
  );
}

/** The world seed of a random layout (world-NNNN) in a dataset of seed `seed`. */
export function worldSeed(seed: number, layout: string): number {
  return hashSeed("world", seed, layout);
}

/** What the harness builds for one layout; `mount` is the URL prefix the user's folder is served under. */
export function sceneSourceFor(o: SceneOptions, layout: string, mount: string): SceneSource {
  switch (sceneKind(o.scene)) {
    case "demo":
      return { kind: "demo", layout, seed: o.seed };
    case "random":
      return { kind: "random", world: worldSeed(o.seed, layout), seed: o.seed };
    case "gltf":
      return { kind: "gltf", url: mount + encodeURIComponent(basename(o.scene)), seed: o.seed };
    case "gltf-folder": {
      const file = gltfFolderFiles(o.scene).find((f) => f.replace(GLTF, "") === layout);
      if (!file) throw new Error(`no glTF file for layout "${layout}" in ${resolve(o.scene)}`);
      return { kind: "gltf", url: mount + encodeURIComponent(file), seed: o.seed };
    }
    case "module":
      return { kind: "module", assetsUrl: mount, seed: o.seed };
  }
}

/** The folder served to the page for a user's glTF scene(s) or scene module's files, or null. */
export function userSceneDir(scene: string): string | null {
  const kind = sceneKind(scene);
  if (kind === "gltf" || kind === "module") return dirname(resolve(scene));
  return kind === "gltf-folder" ? resolve(scene) : null;
}

/** The scene's name in dataset.json and the manifest. */
export function sceneName(scene: string): string {
  const kind = sceneKind(scene);
  return kind === "gltf" || kind === "gltf-folder" || kind === "module" ? basename(resolve(scene)) : scene;
}
