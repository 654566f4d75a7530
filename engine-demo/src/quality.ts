/**
 * Quality presets, applied to a built scene graph (the demo's or a user's glTF).
 *
 * What a game's "Low" setting really is: the cheap parts stay, the expensive ones go.
 * low : image-based lighting from the same environment as high (diffuse spherical harmonics and
 *       the prefiltered specular cube: one or two texture fetches per pixel, which every engine
 *       keeps on its lowest setting; without it metals render black and their colour is lost),
 *       ACES tone mapping in the same HDR image-processing pass as high (one cheap full-screen
 *       pass; part of the game's look, not a quality feature, and it must treat the background
 *       like high does); no shadow map (a depth pass plus PCF taps per pixel), no SSAO (a full
 *       screen pass with 16 samples + blur), no MSAA/FXAA, no bloom (a blur chain), textures at
 *       1/4 resolution with bilinear filtering and no anisotropy (memory and bandwidth).
 *       Option (`lowShadowMapSize`, the dataset's `--low-shadows N`): a Low that keeps a small,
 *       unfiltered shadow map (one depth pass at N x N, one tap per pixel: hard, aliased edges),
 *       which many games' lowest shadow setting still draws; high's are 2048 with PCF.
 * high: PCF shadows (2048 map), SSAO2, MSAA 4x + FXAA, bloom, ACES tone mapping in the
 *       post-process pipeline, full-resolution textures with 16x anisotropy. IBL from
 *       photoStudio.env (shipped in the @babylonjs/viewer npm package, served locally) in both.
 * (Format-1 datasets were rendered with an older low: no IBL, a flat hemispheric ambient and no
 * tone mapping.)
 * Baseline variants add post-processes to low: FXAA + sharpen, or FSR1 upscaling.
 */
import type { Camera } from "@babylonjs/core/Cameras/camera.js";
import { DirectionalLight } from "@babylonjs/core/Lights/directionalLight.js";
import { ShadowGenerator } from "@babylonjs/core/Lights/Shadows/shadowGenerator.js";
import { CubeTexture } from "@babylonjs/core/Materials/Textures/cubeTexture.js";
import { ImageProcessingConfiguration } from "@babylonjs/core/Materials/imageProcessingConfiguration.js";
import { Color3 } from "@babylonjs/core/Maths/math.color.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import type { AbstractMesh } from "@babylonjs/core/Meshes/abstractMesh.js";
import { FxaaPostProcess } from "@babylonjs/core/PostProcesses/fxaaPostProcess.js";
import { SharpenPostProcess } from "@babylonjs/core/PostProcesses/sharpenPostProcess.js";
import { DefaultRenderingPipeline } from "@babylonjs/core/PostProcesses/RenderPipeline/Pipelines/defaultRenderingPipeline.js";
import { FSR1RenderingPipeline } from "@babylonjs/core/PostProcesses/RenderPipeline/Pipelines/fsr1RenderingPipeline.js";
import { SSAO2RenderingPipeline } from "@babylonjs/core/PostProcesses/RenderPipeline/Pipelines/ssao2RenderingPipeline.js";
import type { Scene } from "@babylonjs/core/scene.js";
import { Texture } from "@babylonjs/core/Materials/Textures/texture.js";
import type { QualityPreset, RenderVariant } from "./contracts.ts";
import { LOW_SHADOW_MAP_SIZES, presetOf } from "./contracts.ts";

/**
 * Textures per preset, the one rule for the demo's procedural textures (materials.ts) and a user's
 * glTF textures (sceneInstance.ts). `divisor`: resolution divided by it (procedural textures only:
 * a glTF keeps its files' resolution). `overridesFileSampling`: whether a glTF's own sampler
 * settings are replaced (low lowers them; high keeps what the file asks for).
 */
export const TEXTURE_QUALITY: Record<
  QualityPreset,
  { divisor: number; samplingMode: number; anisotropy: number; overridesFileSampling: boolean }
> = {
  low: { divisor: 4, samplingMode: Texture.BILINEAR_SAMPLINGMODE, anisotropy: 1, overridesFileSampling: true },
  high: { divisor: 1, samplingMode: Texture.TRILINEAR_SAMPLINGMODE, anisotropy: 16, overridesFileSampling: false },
};

export interface QualityOptions {
  scene: Scene;
  camera: Camera;
  variant: RenderVariant;
  /** URL of a prefiltered .env environment for image-based lighting (high only). */
  envUrl: string;
  /** Direction the sunlight travels. */
  sunDirection: [number, number, number];
  /** Meshes casting / receiving shadows (high only). */
  casters: AbstractMesh[];
  receivers: AbstractMesh[];
  /** Scene radius in metres, to place the shadow camera. */
  sceneRadius: number;
  /** For low_fsr1: the fraction of the output size the scene is rendered at (default 0.5). */
  fsrRenderScale?: number;
  /** The scene's lighting (randomised scenes vary it); default: the demo's warm sun and studio environment. */
  lighting?: Partial<Lighting>;
  /**
   * Low only: keep a hard shadow map of this many texels a side (0 or absent: none, the default
   * low). Many games' "Low" keeps low-resolution hard shadows and drops the filtered ones; this
   * renders that Low. See lowShadows() below.
   */
  lowShadowMapSize?: number;
}

/** Light that is the scene's, not the preset's: both presets use the same. */
export interface Lighting {
  sunIntensity: number;
  sunColor: [number, number, number];
  environmentIntensity: number;
  /** Rotation of the environment around Y, radians. */
  environmentRotation: number;
}

export const DEFAULT_LIGHTING: Lighting = {
  sunIntensity: 2.6,
  sunColor: [1, 0.96, 0.88],
  environmentIntensity: 0.6,
  environmentRotation: 0,
};

/** What the preset created, so tests and the UI can inspect it. */
export interface AppliedQuality {
  variant: RenderVariant;
  shadowMapSize: number;
  msaaSamples: number;
  ssao: boolean;
  ibl: boolean;
  bloom: boolean;
  toneMapping: "none" | "aces";
  postProcesses: string[];
}

export const SHADOW_MAP_SIZE = 2048;

/**
 * The shadow generator both presets place the same way (bias, depth bounds, casters, receivers).
 * Biases are high's, scaled with the map's texel size: a texel of a smaller map covers more of the
 * scene, and high's biases would leave it shadow acne (dotted self-shadowing on curved surfaces);
 * a game tunes them per setting, here in proportion.
 */
function shadowGenerator(o: QualityOptions, sun: DirectionalLight, size: number): ShadowGenerator {
  const shadows = new ShadowGenerator(size, sun);
  const texels = SHADOW_MAP_SIZE / size;
  shadows.bias = 0.0008 * texels;
  shadows.normalBias = 0.02 * texels;
  sun.autoCalcShadowZBounds = true;
  for (const m of o.casters) shadows.addShadowCaster(m, false);
  for (const m of o.receivers) m.receiveShadows = true;
  return shadows;
}

/**
 * A low preset's cheap shadows: one unfiltered tap of a small map per pixel (hard, aliased edges:
 * what a game's lowest shadow setting draws); high's are a 2048 map with PCF.
 */
function lowShadows(o: QualityOptions, sun: DirectionalLight, size: number): void {
  if (!LOW_SHADOW_MAP_SIZES.includes(size))
    throw new Error(`low shadow map size ${size}: expected one of ${LOW_SHADOW_MAP_SIZES.join(", ")}`);
  const shadows = shadowGenerator(o, sun, size);
  shadows.filter = ShadowGenerator.FILTER_NONE;
}

/** A variant with no quality feature on yet (what the presets, and the geometry mask, start from). */
export function nothingApplied(variant: RenderVariant): AppliedQuality {
  return {
    variant,
    shadowMapSize: 0,
    msaaSamples: 1,
    ssao: false,
    ibl: false,
    bloom: false,
    toneMapping: "none",
    postProcesses: [],
  };
}

/** ACES tone mapping at exposure 1 in the pipeline's image-processing pass (both presets). */
function toneMap(pipeline: DefaultRenderingPipeline): void {
  pipeline.imageProcessingEnabled = true;
  pipeline.imageProcessing.toneMappingEnabled = true;
  pipeline.imageProcessing.toneMappingType = ImageProcessingConfiguration.TONEMAPPING_ACES;
  pipeline.imageProcessing.exposure = 1.0;
}

export function applyQuality(o: QualityOptions): AppliedQuality {
  const { scene, camera, variant } = o;
  const preset = presetOf(variant);
  const light = { ...DEFAULT_LIGHTING, ...o.lighting };
  const dir = new Vector3(...o.sunDirection).normalize();
  const sun = new DirectionalLight("sun", dir, scene);
  sun.position = dir.scale(-o.sceneRadius * 1.5);
  sun.intensity = light.sunIntensity;
  sun.diffuse = new Color3(...light.sunColor);
  const applied = nothingApplied(variant);

  // Image-based lighting in both presets (see the top of this file).
  const env = CubeTexture.CreateFromPrefilteredData(o.envUrl, scene);
  env.rotationY = light.environmentRotation;
  scene.environmentTexture = env;
  scene.environmentIntensity = light.environmentIntensity;
  applied.ibl = true;

  if (preset === "low") {
    if (o.lowShadowMapSize) {
      lowShadows(o, sun, o.lowShadowMapSize);
      applied.shadowMapSize = o.lowShadowMapSize;
    }
    // The same HDR target and ACES tone-mapping pass as high (one cheap full-screen pass), so the
    // background and every surface go through the same colour transform in both presets;
    // nothing else of the pipeline (no MSAA, FXAA, bloom).
    const pipeline = new DefaultRenderingPipeline("low", true, scene, [camera]);
    pipeline.samples = 1;
    pipeline.fxaaEnabled = false;
    pipeline.bloomEnabled = false;
    toneMap(pipeline);
    applied.toneMapping = "aces";
    applied.postProcesses.push("aces");
    if (variant === "low_fxaa_sharpen") {
      new FxaaPostProcess("baseline-fxaa", 1.0, camera);
      const sharpen = new SharpenPostProcess("baseline-sharpen", 1.0, camera);
      sharpen.edgeAmount = 0.4;
      applied.postProcesses.push("fxaa", "sharpen");
    } else if (variant === "low_fsr1") {
      const fsr = new FSR1RenderingPipeline("baseline-fsr1", scene, [camera]);
      if (!fsr.isSupported) {
        fsr.dispose();
        throw new Error(
          "the low_fsr1 variant needs Babylon's FSR1 pipeline, which this engine does not support (it is WGSL-only: use --engine webgpu)",
        );
      }
      fsr.scaleFactor = 1 / (o.fsrRenderScale ?? 0.5);
      fsr.samples = 1; // the low preset has no MSAA
      applied.postProcesses.push("fsr1");
    }
    return applied;
  }

  // ---- high ----
  const shadows = shadowGenerator(o, sun, SHADOW_MAP_SIZE);
  shadows.usePercentageCloserFiltering = true;
  shadows.filteringQuality = ShadowGenerator.QUALITY_HIGH;
  applied.shadowMapSize = SHADOW_MAP_SIZE;

  const ssao = new SSAO2RenderingPipeline("ssao", scene, { ssaoRatio: 1, blurRatio: 1 }, [camera]);
  ssao.radius = 1.2;
  ssao.totalStrength = 1.1;
  ssao.samples = 16;
  ssao.maxZ = 120;
  ssao.textureSamples = 4; // MSAA alongside SSAO2 needs the SSAO textures multisampled too
  applied.ssao = true;

  const pipeline = new DefaultRenderingPipeline("high", true, scene, [camera]);
  pipeline.samples = 4;
  pipeline.fxaaEnabled = true;
  pipeline.bloomEnabled = true;
  pipeline.bloomThreshold = 0.9;
  pipeline.bloomWeight = 0.35;
  pipeline.bloomKernel = 48;
  toneMap(pipeline);
  applied.msaaSamples = 4;
  applied.bloom = true;
  applied.toneMapping = "aces";
  applied.postProcesses.push("ssao2", "msaa4", "fxaa", "bloom", "aces");
  return applied;
}
