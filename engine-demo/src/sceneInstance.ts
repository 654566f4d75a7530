/**
 * One renderable scene: a scene graph (demo layout, randomised world, a user's glTF or a game's
 * own scene module) with one
 * render variant's quality applied, a camera driven by seeded paths, and time driven by a frame
 * index.
 * Rendering a pair = two instances built from the same source, rendered with the same pose.
 */
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import { FreeCamera } from "@babylonjs/core/Cameras/freeCamera.js";
import { Color3, Color4 } from "@babylonjs/core/Maths/math.color.js";
import type { Material } from "@babylonjs/core/Materials/material.js";
import { PBRMaterial } from "@babylonjs/core/Materials/PBR/pbrMaterial.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import type { AbstractMesh } from "@babylonjs/core/Meshes/abstractMesh.js";
import type { AnimationGroup } from "@babylonjs/core/Animations/animationGroup.js";
import { ImportMeshAsync } from "@babylonjs/core/Loading/sceneLoader.js";
import { Scene } from "@babylonjs/core/scene.js";
import "@babylonjs/loaders/glTF/2.0/index.js";
import { Texture } from "@babylonjs/core/Materials/Textures/texture.js";
import { cameraPose, orbitPose, type ModelBounds } from "./cameraPaths.ts";
import type { CameraPose, RenderVariant, SceneSource } from "./contracts.ts";
import { presetOf, SCENE_FPS } from "./contracts.ts";
import { buildScene } from "./buildScene.ts";
import { buildLayout } from "./layouts.ts";
import { createMaterials, textureLibrary } from "./materials.ts";
import { applyQuality, nothingApplied, TEXTURE_QUALITY, type AppliedQuality, type Lighting } from "./quality.ts";
import { buildRandomScene } from "./randomScene.ts";
import { randomWorld } from "./randomWorld.ts";
import { hashSeed } from "./rng.ts";
import { sceneModule, type SceneModuleContext } from "./sceneModule.ts";

export interface SceneInstanceOptions {
  engine: AbstractEngine;
  source: SceneSource;
  variant: RenderVariant;
  envUrl: string;
  fsrRenderScale?: number;
  /** Low variants: keep a hard shadow map of this size (quality.ts lowShadows; 0/absent: none). */
  lowShadowMapSize?: number;
  /** Render the geometry mask instead (contracts.ts MASK): no preset applied. */
  mask?: boolean;
}

export interface SceneInstance {
  readonly scene: Scene;
  readonly camera: FreeCamera;
  readonly variant: RenderVariant;
  readonly applied: AppliedQuality;
  /** The pose of camera path `path` at frame `frame` (pure; does not move anything). */
  poseAt(path: number, frame: number): CameraPose;
  /** Moves time to `frame` and the camera to `pose`. */
  setFrame(frame: number, pose: CameraPose): void;
  /** Resolves when every shader, texture and post-process of this instance is ready. */
  warmUp(): Promise<void>;
  dispose(): void;
}

const SKY = new Color4(0.58, 0.72, 0.9, 1);

export async function createSceneInstance(o: SceneInstanceOptions): Promise<SceneInstance> {
  if (o.source.kind === "module") return createModuleInstance(o, o.source);
  const scene = new Scene(o.engine);
  scene.clearColor = SKY;
  const camera = rendererCamera(scene);
  const preset = presetOf(o.variant);

  let setTime: (t: number) => void;
  let poseAt: (path: number, frame: number) => CameraPose;
  let casters: AbstractMesh[];
  let receivers: AbstractMesh[];
  let sunDirection: [number, number, number];
  let sceneRadius: number;
  let lighting: Partial<Lighting> | undefined;

  if (o.source.kind === "demo") {
    const layout = buildLayout(o.source.layout, o.source.seed);
    const materials = createMaterials(scene, textureLibrary(o.source.seed), preset);
    const built = buildScene(scene, layout, materials);
    ({ casters, receivers, setTime } = built);
    sunDirection = layout.sunDirection;
    sceneRadius = layout.groundSize * 0.75;
    const seed = o.source.seed;
    const pathSeed = hashSeed(layout.name, seed);
    poseAt = (path, frame) => cameraPose({ area: layout.walkArea, seed: pathSeed, path }, frame / SCENE_FPS);
  } else if (o.source.kind === "random") {
    const world = randomWorld(o.source.world);
    ({ casters, receivers, setTime } = buildRandomScene(scene, world, preset));
    sunDirection = world.sunDirection;
    sceneRadius = world.bounds.radius * 1.5;
    lighting = world.lighting;
    scene.clearColor = new Color4(...world.background, 1);
    const pathSeed = hashSeed("random-paths", o.source.seed, world.seed);
    poseAt = (path, frame) => orbitPose(world.bounds, pathSeed, path, frame / SCENE_FPS);
  } else {
    const loaded = await loadModel(scene, o.source.url, preset);
    casters = receivers = loaded.meshes;
    setTime = loaded.setTime;
    sunDirection = [-0.4, -1, 0.5];
    sceneRadius = loaded.bounds.radius * 3;
    const seed = o.source.seed;
    poseAt = (path, frame) => orbitPose(loaded.bounds, seed, path, frame / SCENE_FPS);
  }
  const applied = o.mask
    ? maskOnly(scene)
    : applyQuality({
        scene,
        camera,
        variant: o.variant,
        envUrl: o.envUrl,
        sunDirection,
        casters,
        receivers,
        sceneRadius,
        fsrRenderScale: o.fsrRenderScale,
        lowShadowMapSize: o.lowShadowMapSize,
        lighting,
      });
  return instanceOf(o, scene, camera, applied, poseAt, setTime);
}

/** The camera the renderer drives (poses come from paths), made the scene's active camera. */
function rendererCamera(scene: Scene): FreeCamera {
  scene.animationsEnabled = false; // time comes from the frame index alone
  scene.skipPointerMovePicking = true;
  const camera = new FreeCamera("camera", new Vector3(0, 2, -10), scene);
  camera.minZ = 0.1;
  camera.maxZ = 250;
  scene.activeCamera = camera;
  return camera;
}

/** A game's own scene module (sceneModule.ts): its scene, its quality menu, its paths or orbits. */
async function createModuleInstance(
  o: SceneInstanceOptions,
  source: Extract<SceneSource, { kind: "module" }>,
): Promise<SceneInstance> {
  const { name, module } = sceneModule();
  const context: SceneModuleContext = { seed: source.seed, assetsUrl: source.assetsUrl, environmentUrl: o.envUrl };
  let scene: Scene;
  try {
    scene = await module.createScene(o.engine, context);
  } catch (e) {
    throw new Error(`scene module ${name}: createScene failed: ${(e as Error).message}`, { cause: e });
  }
  if (!(scene instanceof Scene) || scene.getEngine() !== o.engine)
    throw new Error(`scene module ${name}: createScene must return a Scene built on the engine it was given`);
  const camera = rendererCamera(scene);
  const preset = presetOf(o.variant);
  let applied: AppliedQuality;
  if (o.mask) {
    applied = maskOnly(scene);
  } else {
    try {
      await module.applyQuality(scene, preset, camera, context);
    } catch (e) {
      throw new Error(`scene module ${name}: applyQuality(${preset}) failed: ${(e as Error).message}`, { cause: e });
    }
    // What the game's quality menu put on the camera, by name (recorded in the manifest).
    const postProcesses = camera._postProcesses.filter((p) => p).map((p) => p!.name);
    applied = { ...nothingApplied(o.variant), postProcesses };
  }
  const seed = source.seed;
  const bounds = module.cameraPose
    ? null
    : meshBounds(scene.meshes.filter((m) => m.getTotalVertices() > 0 && !m.infiniteDistance));
  const poseAt = (path: number, frame: number): CameraPose =>
    module.cameraPose
      ? module.cameraPose(path, frame / SCENE_FPS, context)
      : orbitPose(bounds!, seed, path, frame / SCENE_FPS);
  const setTime = (t: number) => module.setTime?.(scene, t);
  return instanceOf(o, scene, camera, applied, poseAt, setTime);
}

function instanceOf(
  o: SceneInstanceOptions,
  scene: Scene,
  camera: FreeCamera,
  applied: AppliedQuality,
  poseAt: (path: number, frame: number) => CameraPose,
  setTime: (t: number) => void,
): SceneInstance {
  let warm = false;
  return {
    scene,
    camera,
    variant: o.variant,
    applied,
    poseAt,
    setFrame(frame, pose) {
      setTime(frame / SCENE_FPS);
      camera.position.set(...pose.position);
      camera.setTarget(new Vector3(...pose.target));
      camera.fov = pose.fov;
    },
    async warmUp() {
      if (warm) return;
      await scene.whenReadyAsync();
      // Post-processes compile on first use: render until every one reports ready.
      const engine = scene.getEngine();
      for (let i = 0; i < 200; i++) {
        // Inside a frame: WebGPU acquires the canvas texture in beginFrame and presents it in endFrame.
        engine.beginFrame();
        scene.render();
        engine.endFrame();
        const pps = camera._postProcesses.filter((p) => p);
        if (scene.isReady(true) && pps.every((p) => p!.isReady())) {
          warm = true;
          return;
        }
        await new Promise((r) => setTimeout(r, 16));
      }
      throw new Error(`scene for variant ${o.variant} did not become ready after 200 frames`);
    },
    dispose() {
      scene.dispose();
    },
  };
}

/**
 * Every surface unlit white (alpha-tested ones keep their alpha test), background black. Sky
 * boxes and domes (meshes at infinite distance, as Babylon's skybox recipe makes them) are
 * background: hidden.
 */
function maskOnly(scene: Scene): AppliedQuality {
  scene.clearColor = new Color4(0, 0, 0, 1);
  for (const mesh of scene.meshes) if (mesh.infiniteDistance) mesh.setEnabled(false);
  const white = new PBRMaterial("mask", scene);
  white.unlit = true;
  white.albedoColor = new Color3(1, 1, 1);
  const cutouts = new Map<Material, PBRMaterial>();
  for (const mesh of scene.meshes) {
    const m = mesh.material as PBRMaterial | null;
    if (m && m.transparencyMode === PBRMaterial.PBRMATERIAL_ALPHATEST && m.albedoTexture) {
      let cut = cutouts.get(m);
      if (!cut) {
        cut = white.clone(`mask-${m.name}`);
        cut.opacityTexture = m.albedoTexture;
        cut.transparencyMode = PBRMaterial.PBRMATERIAL_ALPHATEST;
        cut.alphaCutOff = m.alphaCutOff;
        cut.backFaceCulling = false;
        cutouts.set(m, cut);
      }
      mesh.material = cut;
    } else {
      mesh.material = white;
    }
  }
  return nothingApplied("low");
}

/** The sphere around `meshes` (world space) that the automatic orbit paths circle. */
function meshBounds(meshes: AbstractMesh[]): ModelBounds {
  if (meshes.length === 0) throw new Error("the scene has no meshes to frame the camera on");
  let min = new Vector3(Infinity, Infinity, Infinity);
  let max = new Vector3(-Infinity, -Infinity, -Infinity);
  for (const m of meshes) {
    m.computeWorldMatrix(true);
    const bb = m.getBoundingInfo().boundingBox;
    min = Vector3.Minimize(min, bb.minimumWorld);
    max = Vector3.Maximize(max, bb.maximumWorld);
  }
  const center = min.add(max).scale(0.5);
  return { center: [center.x, center.y, center.z], radius: Math.max(max.subtract(min).length() / 2, 1e-3) };
}

interface LoadedModel {
  meshes: AbstractMesh[];
  bounds: ModelBounds;
  setTime(t: number): void;
}

async function loadModel(scene: Scene, url: string, preset: "low" | "high"): Promise<LoadedModel> {
  let result;
  try {
    result = await ImportMeshAsync(url, scene);
  } catch (e) {
    throw new Error(`could not load the glTF scene ${url}: ${(e as Error).message}`, { cause: e });
  }
  const meshes = result.meshes.filter((m) => m.getTotalVertices() > 0);
  if (meshes.length === 0) throw new Error(`the glTF scene ${url} has no meshes`);
  const bounds = meshBounds(meshes);
  // The preset's texture filtering (glTF textures keep their resolution: see README).
  const q = TEXTURE_QUALITY[preset];
  for (const t of scene.textures) {
    if (t instanceof Texture) {
      t.anisotropicFilteringLevel = q.anisotropy;
      if (q.overridesFileSampling) t.updateSamplingMode(q.samplingMode);
    }
  }
  const groups: AnimationGroup[] = result.animationGroups;
  for (const g of groups) g.stop();
  return {
    meshes,
    bounds,
    setTime(t) {
      for (const g of groups) {
        const frameRate = g.targetedAnimations[0]?.animation.framePerSecond ?? 60;
        const span = g.to - g.from;
        const f = g.from + (span > 0 ? (t * frameRate) % span : 0);
        g.start(false, 1, f, f);
        g.goToFrame(f);
        g.pause();
      }
    },
  };
}
