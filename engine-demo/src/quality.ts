/**
 * Quality presets, applied to a built scene graph (the demo's or a user's glTF).
 *
 * low : no shadows, no SSAO, no MSAA/FXAA, flat hemispheric ambient instead of image-based
 *       lighting, no bloom, no tone mapping, textures at 1/4 resolution with bilinear filtering
 *       (the texture part is done when the materials are made: see materials.ts).
 * high: PCF shadows (2048 map), SSAO2, MSAA 4x + FXAA, IBL from photoStudio.env (shipped in
 *       the @babylonjs/viewer npm package, served locally), bloom, ACES tone mapping.
 * Baseline variants add post-processes to low: FXAA + sharpen, or FSR1 upscaling.
 */
import type { Camera } from "@babylonjs/core/Cameras/camera.js";
import { DirectionalLight } from "@babylonjs/core/Lights/directionalLight.js";
import { HemisphericLight } from "@babylonjs/core/Lights/hemisphericLight.js";
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
import { presetOf } from "./contracts.ts";

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
}

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

export function applyQuality(o: QualityOptions): AppliedQuality {
  const { scene, camera, variant } = o;
  const preset = presetOf(variant);
  const dir = new Vector3(...o.sunDirection).normalize();
  const sun = new DirectionalLight("sun", dir, scene);
  sun.position = dir.scale(-o.sceneRadius * 1.5);
  sun.intensity = 2.6;
  sun.diffuse = new Color3(1, 0.96, 0.88);
  const applied: AppliedQuality = {
    variant,
    shadowMapSize: 0,
    msaaSamples: 1,
    ssao: false,
    ibl: false,
    bloom: false,
    toneMapping: "none",
    postProcesses: [],
  };

  const ip = scene.imageProcessingConfiguration;
  if (preset === "low") {
    // Flat ambient stands in for image-based lighting, as in a game's low setting.
    const hemi = new HemisphericLight("ambient", new Vector3(0, 1, 0), scene);
    hemi.intensity = 0.45;
    hemi.groundColor = new Color3(0.25, 0.23, 0.2);
    ip.toneMappingEnabled = false;
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
  const shadows = new ShadowGenerator(SHADOW_MAP_SIZE, sun);
  shadows.usePercentageCloserFiltering = true;
  shadows.filteringQuality = ShadowGenerator.QUALITY_HIGH;
  shadows.bias = 0.0008;
  shadows.normalBias = 0.02;
  sun.autoCalcShadowZBounds = true;
  for (const m of o.casters) shadows.addShadowCaster(m, false);
  for (const m of o.receivers) m.receiveShadows = true;
  applied.shadowMapSize = SHADOW_MAP_SIZE;

  const env = CubeTexture.CreateFromPrefilteredData(o.envUrl, scene);
  scene.environmentTexture = env;
  scene.environmentIntensity = 0.6;
  applied.ibl = true;

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
  pipeline.imageProcessingEnabled = true;
  pipeline.imageProcessing.toneMappingEnabled = true;
  pipeline.imageProcessing.toneMappingType = ImageProcessingConfiguration.TONEMAPPING_ACES;
  pipeline.imageProcessing.exposure = 1.0;
  applied.msaaSamples = 4;
  applied.bloom = true;
  applied.toneMapping = "aces";
  applied.postProcesses.push("ssao2", "msaa4", "fxaa", "bloom", "aces");
  return applied;
}
