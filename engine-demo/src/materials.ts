/**
 * Materials of the demo scene. Two texture sets are made from the same procedural data, by the
 * presets' texture rule (quality.ts TEXTURE_QUALITY: low is 1/4 resolution, bilinear, no anisotropy).
 */
import { PBRMaterial } from "@babylonjs/core/Materials/PBR/pbrMaterial.js";
import { RawTexture } from "@babylonjs/core/Materials/Textures/rawTexture.js";
import { Texture } from "@babylonjs/core/Materials/Textures/texture.js";
import { Constants } from "@babylonjs/core/Engines/constants.js";
import { Color3 } from "@babylonjs/core/Maths/math.color.js";
import type { Scene } from "@babylonjs/core/scene.js";
import type { QualityPreset } from "./contracts.ts";
import { TEXTURE_QUALITY } from "./quality.ts";
import type { PropMaterial, SurfaceName } from "./layouts.ts";
import {
  bricks,
  downscale,
  floorTiles,
  foliage,
  plaster,
  signPanel,
  type SurfaceTextures,
  type TextureData,
} from "./textures.ts";

/** Texture data is costly to compute (hundreds of ms); compute once per seed and share between scenes. */
export interface TextureLibrary {
  surfaces: Record<SurfaceName, SurfaceTextures>;
  foliage: TextureData;
  sign: TextureData;
}

const libraryCache = new Map<number, TextureLibrary>();

export function textureLibrary(seed: number): TextureLibrary {
  let lib = libraryCache.get(seed);
  if (!lib) {
    lib = {
      surfaces: {
        tiles: floorTiles(seed + 1),
        brick: bricks(seed + 2),
        brickDark: bricks(seed + 3, 512, 10, [95, 60, 55]),
        plaster: plaster(seed + 4),
      },
      foliage: foliage(seed + 5),
      sign: signPanel(seed + 6),
    };
    libraryCache.set(seed, lib);
  }
  return lib;
}

/** A texture from procedural data, at the preset's resolution and filtering (TEXTURE_QUALITY). */
export function makeTexture(scene: Scene, data: TextureData, preset: QualityPreset, name: string): RawTexture {
  const q = TEXTURE_QUALITY[preset];
  const src = q.divisor > 1 ? downscale(data, q.divisor) : data;
  const tex = new RawTexture(
    src.data,
    src.width,
    src.height,
    Constants.TEXTUREFORMAT_RGBA,
    scene,
    true, // mipmaps
    false, // invertY
    q.samplingMode,
  );
  tex.name = `${name}-${preset}`;
  tex.anisotropicFilteringLevel = q.anisotropy;
  tex.wrapU = Texture.WRAP_ADDRESSMODE;
  tex.wrapV = Texture.WRAP_ADDRESSMODE;
  return tex;
}

export interface MaterialSet {
  surface(name: SurfaceName, tiling?: number): PBRMaterial;
  prop(name: PropMaterial): PBRMaterial;
  foliage(): PBRMaterial;
  sign(): PBRMaterial;
  trunk(): PBRMaterial;
}

const PROP_PARAMS: Record<PropMaterial, { albedo: [number, number, number]; metallic: number; roughness: number }> = {
  chrome: { albedo: [0.9, 0.9, 0.92], metallic: 1, roughness: 0.08 },
  gold: { albedo: [1.0, 0.76, 0.33], metallic: 1, roughness: 0.3 },
  copper: { albedo: [0.95, 0.64, 0.54], metallic: 1, roughness: 0.45 },
  plastic: { albedo: [0.75, 0.08, 0.06], metallic: 0, roughness: 0.35 },
  rubber: { albedo: [0.08, 0.12, 0.3], metallic: 0, roughness: 0.95 },
  ceramic: { albedo: [0.92, 0.9, 0.86], metallic: 0, roughness: 0.2 },
};

export function createMaterials(scene: Scene, lib: TextureLibrary, preset: QualityPreset): MaterialSet {
  const cache = new Map<string, PBRMaterial>();
  const memo = (key: string, make: () => PBRMaterial) => {
    let m = cache.get(key);
    if (!m) {
      m = make();
      cache.set(key, m);
    }
    return m;
  };
  return {
    surface: (name, tiling = 1) =>
      memo(`surface:${name}:${tiling}`, () => {
        const m = new PBRMaterial(`surface-${name}`, scene);
        const albedo = makeTexture(scene, lib.surfaces[name].albedo, preset, `${name}-albedo`);
        const normal = makeTexture(scene, lib.surfaces[name].normal, preset, `${name}-normal`);
        for (const t of [albedo, normal]) {
          t.uScale = tiling;
          t.vScale = tiling;
        }
        m.albedoTexture = albedo;
        m.bumpTexture = normal;
        m.metallic = 0;
        m.roughness = name === "tiles" ? 0.55 : 0.85;
        return m;
      }),
    prop: (name) =>
      memo(`prop:${name}`, () => {
        const p = PROP_PARAMS[name];
        const m = new PBRMaterial(`prop-${name}`, scene);
        m.albedoColor = new Color3(...p.albedo);
        m.metallic = p.metallic;
        m.roughness = p.roughness;
        return m;
      }),
    foliage: () =>
      memo("foliage", () => {
        const m = new PBRMaterial("foliage", scene);
        const tex = makeTexture(scene, lib.foliage, preset, "foliage");
        tex.hasAlpha = true;
        m.albedoTexture = tex;
        m.useAlphaFromAlbedoTexture = true;
        m.transparencyMode = PBRMaterial.PBRMATERIAL_ALPHATEST;
        m.alphaCutOff = 0.5;
        m.backFaceCulling = false;
        m.twoSidedLighting = true;
        m.metallic = 0;
        m.roughness = 0.8;
        return m;
      }),
    sign: () =>
      memo("sign", () => {
        const m = new PBRMaterial("sign", scene);
        m.albedoColor = new Color3(0.05, 0.05, 0.06);
        m.emissiveTexture = makeTexture(scene, lib.sign, preset, "sign");
        m.emissiveColor = new Color3(1, 1, 1);
        m.emissiveIntensity = 3; // HDR: above the bloom threshold in the high preset
        m.metallic = 0;
        m.roughness = 0.4;
        return m;
      }),
    trunk: () =>
      memo("trunk", () => {
        const m = new PBRMaterial("trunk", scene);
        m.albedoColor = new Color3(0.3, 0.2, 0.12);
        m.metallic = 0;
        m.roughness = 0.9;
        return m;
      }),
  };
}
