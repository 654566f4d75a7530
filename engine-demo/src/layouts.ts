/**
 * Scene layouts as plain data: what stands where, computed from (layout name, seed) alone.
 * The Babylon side (buildScene.ts) turns a Layout into meshes; keeping this pure makes the
 * scene description testable without a browser and identical on every engine.
 * Units: metres, Y up, ground centred at the origin.
 */
import { createRng, hashSeed, intRange, range } from "./rng.ts";

export type SurfaceName = "tiles" | "brick" | "brickDark" | "plaster";
export type PropMaterial = "chrome" | "gold" | "copper" | "plastic" | "rubber" | "ceramic";

export interface Building {
  x: number;
  z: number;
  width: number;
  depth: number;
  height: number;
  surface: SurfaceName;
}
export interface Prop {
  shape: "sphere" | "box" | "cylinder" | "torus";
  x: number;
  y: number;
  z: number;
  size: number;
  material: PropMaterial;
  rotY: number;
}
export interface Tree {
  x: number;
  z: number;
  height: number;
}
export interface Sign {
  x: number;
  y: number;
  z: number;
  rotY: number;
  width: number;
  height: number;
}
/** Objects moving with scene time t (seconds); their motion is a pure function of t. */
export interface Mover {
  motion: "orbit" | "bob" | "slide" | "spin";
  x: number;
  z: number;
  radius: number;
  speed: number;
  phase: number;
  material: PropMaterial;
  size: number;
}

export interface Layout {
  /** The layout's name (one of DEMO_LAYOUTS). */
  name: string;
  seed: number;
  groundSize: number;
  buildings: Building[];
  props: Prop[];
  trees: Tree[];
  signs: Sign[];
  movers: Mover[];
  /** Where cameras may fly: an axis-aligned rectangle clear of buildings. */
  walkArea: { minX: number; maxX: number; minZ: number; maxZ: number };
  /** Direction the sunlight travels (normalised, pointing down). */
  sunDirection: [number, number, number];
}

/** The demo scene's layouts. The last one is held out as the test split by default. */
export const DEMO_LAYOUTS = ["yard", "street", "plaza", "market"] as const;
export type DemoLayout = (typeof DEMO_LAYOUTS)[number];
export const DEMO_SCENE_NAME = "courtyard";

const PROP_MATERIALS: PropMaterial[] = ["chrome", "gold", "copper", "plastic", "rubber", "ceramic"];
const WALL_SURFACES: SurfaceName[] = ["brick", "brickDark", "plaster"];

export function isDemoLayout(name: string): name is DemoLayout {
  return (DEMO_LAYOUTS as readonly string[]).includes(name);
}

export function buildLayout(name: string, seed: number): Layout {
  if (!isDemoLayout(name)) {
    throw new Error(`unknown demo layout "${name}"; expected one of ${DEMO_LAYOUTS.join(", ")}`);
  }
  const rng = createRng(hashSeed("layout", name, seed));
  const layout: Layout = {
    name,
    seed,
    groundSize: 48,
    buildings: [],
    props: [],
    trees: [],
    signs: [],
    movers: [],
    walkArea: { minX: -8, maxX: 8, minZ: -8, maxZ: 8 },
    sunDirection: normalise([range(rng, -0.6, 0.6), -1, range(rng, 0.2, 0.8)]),
  };
  const wall = () => WALL_SURFACES[intRange(rng, 0, WALL_SURFACES.length - 1)];
  const mat = () => PROP_MATERIALS[intRange(rng, 0, PROP_MATERIALS.length - 1)];

  if (name === "yard") {
    // Enclosed courtyard: a ring of buildings, a central plinth, props around it.
    for (let side = 0; side < 4; side++) {
      for (let k = -1; k <= 1; k++) {
        const along = k * 8 + range(rng, -1, 1);
        const [x, z] = side % 2 === 0 ? [along, side === 0 ? -14 : 14] : [side === 1 ? -14 : 14, along];
        layout.buildings.push({
          x,
          z,
          width: range(rng, 5, 7.5),
          depth: range(rng, 5, 7.5),
          height: range(rng, 5, 13),
          surface: wall(),
        });
      }
    }
    layout.props.push({ shape: "cylinder", x: 0, y: 0.5, z: 0, size: 3, material: "ceramic", rotY: 0 });
    layout.walkArea = { minX: -9, maxX: 9, minZ: -9, maxZ: 9 };
  } else if (name === "street") {
    // A straight street: two rows of facades along Z.
    for (let k = -3; k <= 3; k++) {
      for (const sideX of [-9, 9]) {
        layout.buildings.push({
          x: sideX + range(rng, -0.8, 0.8),
          z: k * 6.5,
          width: range(rng, 5, 7),
          depth: range(rng, 5, 6.2),
          height: range(rng, 6, 16),
          surface: wall(),
        });
      }
    }
    layout.walkArea = { minX: -4, maxX: 4, minZ: -16, maxZ: 16 };
  } else if (name === "plaza") {
    // Open plaza: few distant buildings, pillars, many trees.
    for (let k = 0; k < 6; k++) {
      const a = (k / 6) * Math.PI * 2 + range(rng, -0.2, 0.2);
      layout.buildings.push({
        x: Math.cos(a) * 19,
        z: Math.sin(a) * 19,
        width: range(rng, 5, 8),
        depth: range(rng, 5, 8),
        height: range(rng, 8, 18),
        surface: wall(),
      });
    }
    for (let k = 0; k < 8; k++) {
      const a = (k / 8) * Math.PI * 2;
      layout.props.push({
        shape: "cylinder",
        x: Math.cos(a) * 7,
        y: 2,
        z: Math.sin(a) * 7,
        size: 0.6,
        material: "ceramic",
        rotY: 0,
      });
    }
    layout.walkArea = { minX: -11, maxX: 11, minZ: -11, maxZ: 11 };
  } else {
    // Market: narrow lanes between stalls (low boxes) and crates.
    for (let i = -2; i <= 2; i++) {
      for (let j = -2; j <= 2; j++) {
        if ((i + j) % 2 !== 0 || (i === 0 && j === 0)) continue;
        layout.buildings.push({
          x: i * 7 + range(rng, -0.5, 0.5),
          z: j * 7 + range(rng, -0.5, 0.5),
          width: range(rng, 2.5, 4),
          depth: range(rng, 2.5, 4),
          height: range(rng, 2.2, 4.5),
          surface: wall(),
        });
      }
    }
    for (const sideZ of [-20, 20]) {
      layout.buildings.push({ x: 0, z: sideZ, width: 40, depth: 4, height: range(rng, 7, 12), surface: wall() });
    }
    layout.walkArea = { minX: -12, maxX: 12, minZ: -12, maxZ: 12 };
  }

  // Common furniture, scattered by the seed: props, trees, signs and moving objects.
  const inWalk = () => [
    range(rng, layout.walkArea.minX, layout.walkArea.maxX),
    range(rng, layout.walkArea.minZ, layout.walkArea.maxZ),
  ];
  for (let k = 0; k < 10; k++) {
    const [x, z] = inWalk();
    const shape = (["sphere", "box", "cylinder", "torus"] as const)[intRange(rng, 0, 3)];
    const size = range(rng, 0.4, 1.4);
    layout.props.push({
      shape,
      x,
      y: shape === "torus" ? size * 0.15 : size / 2,
      z,
      size,
      material: mat(),
      rotY: range(rng, 0, Math.PI),
    });
  }
  const treeCount = name === "plaza" ? 9 : 4;
  for (let k = 0; k < treeCount; k++) {
    const [x, z] = inWalk();
    layout.trees.push({ x, z, height: range(rng, 3, 5.5) });
  }
  for (const b of layout.buildings.slice(0, 3)) {
    // A sign on the face of the building that looks at the centre.
    const towardsX = Math.abs(b.x) > Math.abs(b.z);
    const x = towardsX ? b.x - Math.sign(b.x) * (b.width / 2 + 0.06) : b.x;
    const z = towardsX ? b.z : b.z - Math.sign(b.z) * (b.depth / 2 + 0.06);
    const rotY = towardsX ? (b.x > 0 ? -Math.PI / 2 : Math.PI / 2) : b.z > 0 ? Math.PI : 0;
    layout.signs.push({ x, y: Math.min(b.height - 0.8, 3.2), z, rotY: rotY + Math.PI, width: 2.4, height: 0.6 });
  }
  const motions = ["orbit", "bob", "slide", "spin"] as const;
  for (let k = 0; k < 4; k++) {
    const [x, z] = inWalk();
    layout.movers.push({
      motion: motions[k],
      x,
      z,
      radius: range(rng, 1, 2.5),
      speed: range(rng, 0.3, 0.9),
      phase: range(rng, 0, Math.PI * 2),
      material: mat(),
      size: range(rng, 0.5, 1),
    });
  }
  return layout;
}

/** Position (and Y rotation) of a mover at scene time t seconds: a pure function of t. */
export function moverPose(m: Mover, t: number): { x: number; y: number; z: number; rotY: number } {
  const a = m.phase + m.speed * t;
  switch (m.motion) {
    case "orbit":
      return { x: m.x + Math.cos(a) * m.radius, y: m.size / 2 + 0.4, z: m.z + Math.sin(a) * m.radius, rotY: -a };
    case "bob":
      return { x: m.x, y: m.size / 2 + 0.6 + 0.6 * Math.sin(a * 2), z: m.z, rotY: a };
    case "slide":
      return { x: m.x + Math.sin(a) * m.radius, y: m.size / 2, z: m.z, rotY: 0 };
    case "spin":
      return { x: m.x, y: m.size / 2 + 0.2, z: m.z, rotY: a * 3 };
  }
}

function normalise(v: [number, number, number]): [number, number, number] {
  const l = Math.hypot(...v);
  return [v[0] / l, v[1] / l, v[2] / l];
}
