/**
 * "Lantern Crypt": an example game scene for `npm run dataset -- --scene examples/lantern-crypt/scene.ts`.
 *
 * Not the courtyard: a roofless crypt at night, lit by flickering torches (warm point lights) and
 * cold moonlight, with stone, wood, iron and gold. Its own quality menu (applyQuality below):
 *   low   what the game's "Low" setting does: no shadows, no glow around the flames, no ambient
 *         occlusion, no anti-aliasing, bilinear textures; the game's tone mapping (in the
 *         materials' image processing, no extra pass) stays, so colours mean the same in both.
 *   high  moonlight shadows (PCF, 1024), a glow layer on the flames, SSAO2, MSAA x4, bloom,
 *         16x anisotropic textures.
 * As in many Babylon games, high's rendering pipeline tone-maps the whole frame (the night sky
 * too) where low's materials tone-map only surfaces: the sky is lighter in high. Part of the look
 * an adapter has to learn.
 * Everything is built from code (procedural textures, no files), deterministic for a seed.
 */
import type { Camera } from "@babylonjs/core/Cameras/camera.js";
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import { GlowLayer } from "@babylonjs/core/Layers/glowLayer.js";
import { DirectionalLight } from "@babylonjs/core/Lights/directionalLight.js";
import { HemisphericLight } from "@babylonjs/core/Lights/hemisphericLight.js";
import { PointLight } from "@babylonjs/core/Lights/pointLight.js";
import { ShadowGenerator } from "@babylonjs/core/Lights/Shadows/shadowGenerator.js";
import "@babylonjs/core/Lights/Shadows/shadowGeneratorSceneComponent.js";
import { ImageProcessingConfiguration } from "@babylonjs/core/Materials/imageProcessingConfiguration.js";
import { PBRMaterial } from "@babylonjs/core/Materials/PBR/pbrMaterial.js";
import { CubeTexture } from "@babylonjs/core/Materials/Textures/cubeTexture.js";
import { RawTexture } from "@babylonjs/core/Materials/Textures/rawTexture.js";
import { Texture } from "@babylonjs/core/Materials/Textures/texture.js";
import { Color3, Color4 } from "@babylonjs/core/Maths/math.color.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import type { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import { MeshBuilder } from "@babylonjs/core/Meshes/meshBuilder.js";
import { DefaultRenderingPipeline } from "@babylonjs/core/PostProcesses/RenderPipeline/Pipelines/defaultRenderingPipeline.js";
import { SSAO2RenderingPipeline } from "@babylonjs/core/PostProcesses/RenderPipeline/Pipelines/ssao2RenderingPipeline.js";
import "@babylonjs/core/Rendering/prePassRendererSceneComponent.js";
import "@babylonjs/core/Rendering/geometryBufferRendererSceneComponent.js";
import { Scene } from "@babylonjs/core/scene.js";
import type { CameraPose, QualityPreset, SceneModuleContext } from "../../engine-demo/src/sceneModule.ts";

const TORCHES: Array<[number, number]> = [
  [-5.2, -5.2],
  [5.2, -5.2],
  [-5.2, 5.2],
];

/** A small seeded generator (mulberry32): the scene is the same every time for a seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An RGBA texture from a per-texel colour function (values 0-255), mipmapped, repeating. */
function proceduralTexture(
  scene: Scene,
  name: string,
  size: number,
  texel: (x: number, y: number) => [number, number, number],
): Texture {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [r, g, b] = texel(x, y);
      data.set([r, g, b, 255], (y * size + x) * 4);
    }
  }
  const t = RawTexture.CreateRGBATexture(data, size, size, scene, true, false, Texture.TRILINEAR_SAMPLINGMODE);
  t.name = name;
  t.wrapU = t.wrapV = Texture.WRAP_ADDRESSMODE;
  return t;
}

/** Flagstones: irregular grey-green slabs with dark mortar and speckle. */
function stoneTexture(scene: Scene, seed: number): Texture {
  const r = rng(seed);
  const tint = Array.from({ length: 16 }, () => 0.75 + r() * 0.4);
  const noise = Array.from({ length: 256 * 256 }, () => r());
  return proceduralTexture(scene, "stone", 256, (x, y) => {
    const row = Math.floor(y / 64);
    const col = Math.floor((x + (row % 2) * 32) / 64);
    const mortar = y % 64 < 4 || (x + (row % 2) * 32) % 64 < 4;
    const k = tint[(row * 4 + col) % 16] * (0.85 + 0.3 * noise[y * 256 + x]);
    return mortar ? [38, 36, 34] : [112 * k, 116 * k, 104 * k];
  });
}

/** Wood planks: warm brown with grain lines. */
function woodTexture(scene: Scene, seed: number): Texture {
  const r = rng(seed + 7);
  const noise = Array.from({ length: 128 }, () => r());
  return proceduralTexture(scene, "wood", 128, (x, y) => {
    const grain = 0.8 + 0.2 * Math.sin(x * 0.9 + noise[y] * 6) * noise[(x * 3) % 128];
    const seam = x % 32 < 2 ? 0.55 : 1;
    return [120 * grain * seam, 74 * grain * seam, 40 * grain * seam];
  });
}

function pbr(scene: Scene, name: string, o: Partial<PBRMaterial>): PBRMaterial {
  const m = new PBRMaterial(name, scene);
  Object.assign(m, { metallic: 0, roughness: 0.8, ...o });
  return m;
}

interface Built {
  flames: Mesh[];
  torchLights: PointLight[];
  moon: DirectionalLight;
  casters: Mesh[];
}
const built = new WeakMap<Scene, Built>();

export function createScene(engine: AbstractEngine, context: SceneModuleContext): Scene {
  const scene = new Scene(engine);
  scene.clearColor = new Color4(0.02, 0.03, 0.07, 1); // night sky
  // The game's own tone mapping, in the materials' image processing (both presets).
  scene.imageProcessingConfiguration.toneMappingEnabled = true;
  scene.imageProcessingConfiguration.toneMappingType = ImageProcessingConfiguration.TONEMAPPING_KHR_PBR_NEUTRAL;
  scene.imageProcessingConfiguration.exposure = 1.4;

  const env = CubeTexture.CreateFromPrefilteredData(context.environmentUrl, scene);
  scene.environmentTexture = env;
  scene.environmentIntensity = 0.12; // night: a faint sky fill
  const fill = new HemisphericLight("sky-fill", new Vector3(0, 1, 0), scene);
  fill.intensity = 0.08;
  fill.diffuse = new Color3(0.45, 0.55, 0.9);
  fill.groundColor = new Color3(0.05, 0.04, 0.04);

  const moon = new DirectionalLight("moon", new Vector3(0.45, -0.8, 0.35).normalize(), scene);
  moon.position = new Vector3(-9, 16, -7);
  moon.intensity = 0.9;
  moon.diffuse = new Color3(0.55, 0.65, 1.0);

  const stone = pbr(scene, "stone", { albedoTexture: stoneTexture(scene, context.seed), roughness: 0.9 });
  (stone.albedoTexture as Texture).uScale = (stone.albedoTexture as Texture).vScale = 4;
  const wall = pbr(scene, "wall", { albedoTexture: stoneTexture(scene, context.seed + 1), roughness: 0.95 });
  const wood = pbr(scene, "wood", { albedoTexture: woodTexture(scene, context.seed), roughness: 0.7 });
  const iron = pbr(scene, "iron", { albedoColor: new Color3(0.32, 0.33, 0.35), metallic: 1, roughness: 0.45 });
  const gold = pbr(scene, "gold", { albedoColor: new Color3(1.0, 0.76, 0.33), metallic: 1, roughness: 0.25 });
  const cloth = pbr(scene, "cloth", { albedoColor: new Color3(0.45, 0.06, 0.08), roughness: 1 });
  const flame = pbr(scene, "flame", { albedoColor: new Color3(0, 0, 0), emissiveColor: new Color3(1.0, 0.55, 0.15) });
  flame.emissiveIntensity = 3;

  const casters: Mesh[] = [];
  const add = (m: Mesh, mat: PBRMaterial): Mesh => {
    m.material = mat;
    m.receiveShadows = true;
    casters.push(m);
    return m;
  };
  const floor = MeshBuilder.CreateGround("floor", { width: 16, height: 16 }, scene);
  floor.material = stone;
  floor.receiveShadows = true;
  for (const [x, z, w, d] of [
    [0, 7.75, 16, 0.5],
    [7.75, 0, 0.5, 16],
    [-7.75, 2, 0.5, 12],
  ]) {
    const b = add(MeshBuilder.CreateBox("wall", { width: w, height: 3.2, depth: d }, scene), wall);
    b.position.set(x, 1.6, z);
  }
  const r = rng(context.seed + 11);
  for (const [x, z] of [
    [-3, -3],
    [3, -3],
    [-3, 3],
    [3, 3],
  ]) {
    const p = add(MeshBuilder.CreateCylinder("pillar", { diameter: 0.7, height: 3.6, tessellation: 16 }, scene), wall);
    p.position.set(x, 1.8, z);
    const cap = add(MeshBuilder.CreateBox("capital", { size: 0.95, height: 0.25 }, scene), wall);
    cap.position.set(x, 3.6, z);
  }
  // The sarcophagus: stone body, iron bands, a gold lid ornament, a red cloth runner.
  const body = add(MeshBuilder.CreateBox("sarcophagus", { width: 2.4, height: 1, depth: 1.1 }, scene), wall);
  body.position.set(0, 0.5, 0);
  for (const dx of [-0.8, 0, 0.8]) {
    const band = add(MeshBuilder.CreateBox("band", { width: 0.08, height: 1.02, depth: 1.14 }, scene), iron);
    band.position.set(dx, 0.5, 0);
  }
  const runner = add(MeshBuilder.CreateBox("runner", { width: 2.5, height: 0.04, depth: 0.5 }, scene), cloth);
  runner.position.set(0, 1.02, 0);
  const chalice = add(
    MeshBuilder.CreateCylinder("chalice", { diameterTop: 0.3, diameterBottom: 0.12, height: 0.35 }, scene),
    gold,
  );
  chalice.position.set(0.6, 1.22, 0);
  const orb = add(MeshBuilder.CreateSphere("orb", { diameter: 0.3, segments: 16 }, scene), gold);
  orb.position.set(-0.6, 1.2, 0);
  // Barrels and crates along the walls.
  for (let i = 0; i < 6; i++) {
    const barrel = add(
      MeshBuilder.CreateCylinder("barrel", { diameter: 0.8, height: 1.1, tessellation: 20 }, scene),
      wood,
    );
    barrel.position.set(-6.6 + r() * 0.4, 0.55, -1 + i * 1.05);
    const hoop = add(
      MeshBuilder.CreateTorus("hoop", { diameter: 0.82, thickness: 0.05, tessellation: 20 }, scene),
      iron,
    );
    hoop.position.set(barrel.position.x, 0.8, barrel.position.z);
  }
  for (let i = 0; i < 4; i++) {
    const crate = add(MeshBuilder.CreateBox("crate", { size: 0.9 }, scene), wood);
    crate.position.set(2 + i * 1.2, 0.45, 6.8);
    crate.rotation.y = (r() - 0.5) * 0.5;
  }
  // Torches: iron bracket, emissive flame, a warm point light each.
  const flames: Mesh[] = [];
  const torchLights: PointLight[] = [];
  TORCHES.forEach(([x, z], i) => {
    const post = add(MeshBuilder.CreateCylinder("torch", { diameter: 0.12, height: 1.8 }, scene), iron);
    post.position.set(x, 0.9, z);
    const f = MeshBuilder.CreateSphere(`flame${i}`, { diameter: 0.28, segments: 12 }, scene);
    f.material = flame;
    f.position.set(x, 1.95, z);
    f.scaling.y = 1.6;
    flames.push(f);
    const light = new PointLight(`torch${i}`, new Vector3(x, 2.1, z), scene);
    light.diffuse = new Color3(1.0, 0.6, 0.3);
    light.intensity = 9;
    light.range = 14;
    torchLights.push(light);
  });
  built.set(scene, { flames, torchLights, moon, casters });
  return scene;
}

export function applyQuality(scene: Scene, quality: QualityPreset, camera: Camera): void {
  const b = built.get(scene);
  if (!b) throw new Error("applyQuality: not a scene this module built");
  if (quality === "low") {
    for (const t of scene.textures) if (t instanceof Texture) t.updateSamplingMode(Texture.BILINEAR_SAMPLINGMODE);
    return;
  }
  for (const t of scene.textures) if (t instanceof Texture) t.anisotropicFilteringLevel = 16;
  const shadows = new ShadowGenerator(1024, b.moon);
  shadows.usePercentageCloserFiltering = true;
  shadows.filteringQuality = ShadowGenerator.QUALITY_MEDIUM;
  shadows.bias = 0.001;
  shadows.normalBias = 0.02;
  b.moon.autoCalcShadowZBounds = true;
  for (const m of b.casters) shadows.addShadowCaster(m, false);

  const glow = new GlowLayer("flame-glow", scene, { mainTextureSamples: 4 });
  glow.intensity = 0.9;
  for (const f of b.flames) glow.addIncludedOnlyMesh(f);

  const ssao = new SSAO2RenderingPipeline("crypt-ssao", scene, { ssaoRatio: 1, blurRatio: 1 }, [camera]);
  ssao.radius = 0.8;
  ssao.totalStrength = 1.2;
  ssao.samples = 16;
  ssao.maxZ = 40;
  ssao.textureSamples = 4;

  const pipeline = new DefaultRenderingPipeline("crypt-high", true, scene, [camera]);
  pipeline.samples = 4;
  pipeline.bloomEnabled = true;
  pipeline.bloomThreshold = 0.7;
  pipeline.bloomWeight = 0.4;
  pipeline.bloomKernel = 32;
}

export function setTime(scene: Scene, seconds: number): void {
  const b = built.get(scene);
  if (!b) return;
  b.torchLights.forEach((l, i) => {
    const flicker = 0.85 + 0.1 * Math.sin(seconds * 7.3 + i * 2.1) + 0.05 * Math.sin(seconds * 17.9 + i);
    l.intensity = 9 * flicker;
    b.flames[i].scaling.y = 1.6 * (0.9 + 0.1 * flicker);
  });
}

/** A slow walk around the sarcophagus at eye height; each path its own radius, height and direction. */
export function cameraPose(path: number, seconds: number): CameraPose {
  const r = rng(1000 + path);
  const radius = 4.2 + r() * 2.2;
  const height = 1.3 + r() * 1.2;
  const dir = r() < 0.5 ? -1 : 1;
  const a = r() * Math.PI * 2 + dir * seconds * 0.12;
  const bob = 0.05 * Math.sin(seconds * 1.7);
  return {
    position: [Math.cos(a) * radius, height + bob, Math.sin(a) * radius],
    target: [Math.cos(a + dir * 0.6) * 0.8, 0.8 + r() * 0.4, Math.sin(a + dir * 0.6) * 0.8],
    fov: 0.85 + r() * 0.2,
  };
}
