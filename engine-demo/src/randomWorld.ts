/**
 * Randomised training scenes (domain randomisation) as plain data: a different world per seed,
 * computed from the seed alone (randomScene.ts turns it into Babylon meshes). The point is to
 * span what games look like, so the network learns the low -> high upgrade rather than one
 * scene's palette: geometry (primitives, assemblies, walls, terrain, thin poles, alpha-tested
 * cards), PBR materials over the whole range (albedo hue/saturation/value from black to white,
 * metallic 0-1, roughness 0-1, procedural albedo + normal maps with random tints, emissive),
 * lighting (sun direction, colour and intensity; environment intensity and rotation), the
 * background colour and the orbit camera's bounds.
 * Units: metres, Y up; the world is centred on the origin.
 */
import type { ModelBounds } from "./cameraPaths.ts";
import type { SurfaceName } from "./layouts.ts";
import type { Lighting } from "./quality.ts";
import { createRng, hashSeed, intRange, range } from "./rng.ts";

/** Bumped whenever a seed's world changes: datasets record it, so a resume never mixes two. */
export const RANDOM_WORLD_VERSION = 2;

export type RandomShape = "box" | "sphere" | "cylinder" | "torus" | "capsule" | "knot" | "pole" | "wall" | "card";
export type Motion = "none" | "spin" | "bob" | "orbit";

export interface RandomMaterial {
  /** Albedo colour (a tint when textured), RGB in [0, 1]. */
  albedo: [number, number, number];
  metallic: number;
  roughness: number;
  /** Procedural albedo + normal map, or none (flat colour). */
  texture: SurfaceName | null;
  /** Texture repeats across the object. */
  tiling: number;
  /** Emissive intensity (0: none); HDR values above 1 bloom in the high preset. */
  emissive: number;
}

export interface RandomObject {
  shape: RandomShape;
  position: [number, number, number];
  rotationY: number;
  /** Size along x, y, z in metres (the shape's own proportions scaled to it). */
  size: [number, number, number];
  /** Index into RandomWorld.materials; cards use the alpha-tested foliage material instead. */
  material: number;
  motion: Motion;
  speed: number;
  phase: number;
}

export interface RandomWorld {
  seed: number;
  groundSize: number;
  /** Height field of the ground: amplitude (metres) and spatial frequency (cycles per metre). */
  terrain: { amplitude: number; frequency: number; phase: number };
  groundMaterial: number;
  materials: RandomMaterial[];
  objects: RandomObject[];
  /** Direction the sunlight travels (normalised, pointing down). */
  sunDirection: [number, number, number];
  lighting: Lighting;
  /** Clear colour behind the world (sky, dusk, interior darkness...), RGB in [0, 1]. */
  background: [number, number, number];
  /** What the orbit camera circles. */
  bounds: ModelBounds;
}

const SURFACES: SurfaceName[] = ["tiles", "brick", "brickDark", "plaster"];
const SHAPES: RandomShape[] = ["box", "sphere", "cylinder", "torus", "capsule", "knot", "pole", "wall", "card"];

/** HSV (all in [0, 1]) to RGB in [0, 1]. */
export function hsv(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

function randomMaterial(rng: () => number): RandomMaterial {
  // Value over the whole range, with extra weight at the ends (near-black and near-white
  // surfaces are where a palette-bound model fails first).
  const u = rng();
  const value = u < 0.15 ? range(rng, 0.02, 0.12) : u > 0.85 ? range(rng, 0.85, 1) : range(rng, 0.12, 0.85);
  const saturation = rng() < 0.25 ? range(rng, 0, 0.1) : range(rng, 0.1, 1);
  const metalRoll = rng();
  return {
    albedo: hsv(rng(), saturation, value),
    metallic: metalRoll < 0.3 ? range(rng, 0.85, 1) : metalRoll < 0.45 ? range(rng, 0.1, 0.85) : range(rng, 0, 0.1),
    roughness: range(rng, 0.03, 1),
    texture: rng() < 0.4 ? SURFACES[intRange(rng, 0, SURFACES.length - 1)] : null,
    tiling: intRange(rng, 1, 4),
    emissive: rng() < 0.08 ? range(rng, 0.5, 4) : 0,
  };
}

/** The world of `seed` (pure: the same seed always gives the same world). */
export function randomWorld(seed: number): RandomWorld {
  const rng = createRng(hashSeed("random-world", seed));
  const spread = range(rng, 5, 12); // radius of the area objects stand in
  const materials = Array.from({ length: intRange(rng, 5, 9) }, () => randomMaterial(rng));
  const objects: RandomObject[] = [];
  const count = intRange(rng, 10, 24);
  for (let i = 0; i < count; i++) {
    const shape = SHAPES[intRange(rng, 0, SHAPES.length - 1)];
    // Everything stays inside 0.8 spread, and the orbit camera never comes closer than 1.12 spread.
    const r = spread * Math.sqrt(rng());
    const a = range(rng, 0, Math.PI * 2);
    const s = range(rng, 0.4, 2.2);
    const size: [number, number, number] =
      shape === "pole"
        ? [range(rng, 0.04, 0.12), range(rng, 2, 5), 0]
        : shape === "wall"
          ? [range(rng, 2, 7), range(rng, 1.5, 4), range(rng, 0.15, 0.5)]
          : shape === "card"
            ? [s * 1.5, s * 1.5, 0]
            : [s, s * range(rng, 0.5, 1.8), s];
    size[2] ||= size[0];
    const reach = Math.min(r, Math.max(0, spread * 0.8 - Math.hypot(size[0], size[2]) / 2));
    const stacked = (shape === "box" || shape === "sphere") && rng() < 0.25; // an assembly: one on another
    const motionRoll = rng();
    const base: RandomObject = {
      shape,
      position: [Math.cos(a) * reach, size[1] / 2, Math.sin(a) * reach],
      rotationY: range(rng, 0, Math.PI * 2),
      size,
      material: intRange(rng, 0, materials.length - 1),
      motion:
        shape === "wall" || shape === "card"
          ? "none"
          : motionRoll < 0.15
            ? "spin"
            : motionRoll < 0.25
              ? "bob"
              : motionRoll < 0.32
                ? "orbit"
                : "none",
      speed: range(rng, 0.2, 1.2),
      phase: range(rng, 0, Math.PI * 2),
    };
    objects.push(base);
    if (stacked) {
      const top = range(rng, 0.3, 0.8) * s;
      objects.push({
        ...base,
        shape: rng() < 0.5 ? "box" : "sphere",
        position: [base.position[0], size[1] + top / 2, base.position[2]],
        size: [top, top, top],
        material: intRange(rng, 0, materials.length - 1),
        motion: "none",
      });
    }
  }
  const elevation = range(rng, 0.25, 1.3); // radians above the horizon
  const azimuth = range(rng, 0, Math.PI * 2);
  const warmth = range(rng, -1, 1); // -1 cool blue, +1 warm orange
  return {
    seed,
    groundSize: spread * 12,
    terrain: {
      amplitude: rng() < 0.4 ? 0 : range(rng, 0.1, 1.2),
      frequency: range(rng, 0.03, 0.15),
      phase: range(rng, 0, 100),
    },
    groundMaterial: intRange(rng, 0, materials.length - 1),
    materials,
    objects,
    sunDirection: normalise([
      -Math.cos(azimuth) * Math.cos(elevation),
      -Math.sin(elevation),
      -Math.sin(azimuth) * Math.cos(elevation),
    ]),
    lighting: {
      sunIntensity: range(rng, 0.8, 4),
      sunColor: lerp3([0.78, 0.87, 1], [1, 0.86, 0.66], (warmth + 1) / 2),
      environmentIntensity: range(rng, 0.2, 1.2),
      environmentRotation: range(rng, 0, Math.PI * 2),
    },
    background:
      rng() < 0.6
        ? hsv(range(rng, 0.5, 0.65), range(rng, 0.2, 0.7), range(rng, 0.5, 1))
        : hsv(rng(), range(rng, 0, 1), range(rng, 0, 0.6)),
    // The orbit camera circles at 1.6-2.6 bounds radii: close enough that objects fill the frame.
    bounds: { center: [0, 1, 0], radius: spread * 0.7 },
  };
}

/** Height of the terrain at (x, z); flat near the centre so objects stand on the ground. */
export function terrainHeight(t: RandomWorld["terrain"], x: number, z: number, flatRadius: number): number {
  if (!t.amplitude) return 0;
  const d = Math.hypot(x, z);
  const ramp = Math.min(1, Math.max(0, (d - flatRadius) / flatRadius));
  const w = 2 * Math.PI * t.frequency;
  const h =
    Math.sin(x * w + t.phase) * Math.cos(z * w * 1.3 - t.phase) + 0.5 * Math.sin((x + z) * w * 2.1 + t.phase * 0.7);
  return t.amplitude * ramp * h;
}

/** Position and Y rotation of a moving object at scene time t (seconds). */
export function objectPose(o: RandomObject, t: number): { position: [number, number, number]; rotationY: number } {
  const [x, y, z] = o.position;
  switch (o.motion) {
    case "spin":
      return { position: [x, y, z], rotationY: o.rotationY + t * o.speed };
    case "bob":
      return { position: [x, y + 0.4 * Math.sin(t * o.speed * 2 + o.phase), z], rotationY: o.rotationY };
    case "orbit": {
      const a = t * o.speed * 0.5 + o.phase;
      return { position: [x + Math.cos(a), y, z + Math.sin(a)], rotationY: o.rotationY };
    }
    default:
      return { position: [x, y, z], rotationY: o.rotationY };
  }
}

function lerp3(a: [number, number, number], b: [number, number, number], t: number): [number, number, number] {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function normalise(v: [number, number, number]): [number, number, number] {
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
}
