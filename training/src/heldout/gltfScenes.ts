/**
 * Held-out glTF scenes for evaluation, built here with glTF-Transform (never trained on; not the
 * public sample models, which stay an independent check). Each has its own look, unlike the
 * courtyard and the randomised worlds' uniform sampling:
 *   workshop  dark metals (gunmetal, anodised black, brushed steel) and small emissive lamps on
 *             concrete: the case that went pink with the first shipped model
 *   toybox    saturated primary plastics and rubber on a white floor
 *   gallery   pale stone plinths, gold and copper sculptures, deep-coloured wall panels
 *
 *   npm run heldout-scenes -- --out data/heldout-gltf
 *   npm run dataset -- --scene data/heldout-gltf --pairs 60 --size 384 --out data/heldout-gltf-pairs
 *   npm run evaluate -- --dataset-dir data/heldout-gltf-pairs --split all ...
 */
import { Document, NodeIO, type Material, type Mesh, type Node } from "@gltf-transform/core";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createRng, range } from "../../../engine-demo/src/rng.ts";

type Vec3 = [number, number, number];
interface Geometry {
  positions: number[];
  normals: number[];
  uvs: number[];
  indices: number[];
}

/** A unit box centred on the origin (size 1), 24 vertices with face normals. */
function box(): Geometry {
  const g: Geometry = { positions: [], normals: [], uvs: [], indices: [] };
  const faces: Array<[Vec3, Vec3, Vec3]> = [
    [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    [
      [-1, 0, 0],
      [0, 1, 0],
      [0, 0, -1],
    ],
    [
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
    ],
    [
      [0, -1, 0],
      [0, 0, -1],
      [1, 0, 0],
    ],
    [
      [0, 0, 1],
      [0, 1, 0],
      [-1, 0, 0],
    ],
    [
      [0, 0, -1],
      [0, 1, 0],
      [1, 0, 0],
    ],
  ];
  for (const [n, u, v] of faces) {
    const base = g.positions.length / 3;
    for (const [su, sv] of [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ]) {
      g.positions.push(...([0, 1, 2].map((k) => 0.5 * (n[k] + su * u[k] + sv * v[k])) as Vec3));
      g.normals.push(...n);
      g.uvs.push((su + 1) / 2, (sv + 1) / 2);
    }
    // Counter-clockwise seen from outside (u x v = n), glTF's front face.
    g.indices.push(base, base + 1, base + 2, base, base + 2, base + 3);
  }
  return g;
}

/** A surface of revolution around Y: radius(t) and height(t) for t in [0, 1], `seg` around. */
function lathe(profile: (t: number) => [number, number], rings: number, seg: number): Geometry {
  const g: Geometry = { positions: [], normals: [], uvs: [], indices: [] };
  for (let i = 0; i <= rings; i++) {
    const t = i / rings;
    const [r, y] = profile(t);
    const [r2, y2] = profile(Math.min(1, t + 1e-3));
    const [r1, y1] = profile(Math.max(0, t - 1e-3));
    // Normal of the profile curve (dr, dy) rotated: (dy, -dr).
    let nx = y2 - y1;
    let ny = -(r2 - r1);
    const l = Math.hypot(nx, ny) || 1;
    nx /= l;
    ny /= l;
    for (let j = 0; j <= seg; j++) {
      const a = (j / seg) * Math.PI * 2;
      g.positions.push(r * Math.cos(a), y, r * Math.sin(a));
      g.normals.push(nx * Math.cos(a), ny, nx * Math.sin(a));
      g.uvs.push(j / seg, t);
    }
  }
  for (let i = 0; i < rings; i++) {
    for (let j = 0; j < seg; j++) {
      const a = i * (seg + 1) + j;
      const b = a + seg + 1;
      g.indices.push(a, b, a + 1, a + 1, b, b + 1); // counter-clockwise seen from outside
    }
  }
  return g;
}

const sphere = () => lathe((t) => [Math.sin(Math.PI * t), -Math.cos(Math.PI * t) * 1], 24, 32);
const cylinder = () =>
  lathe((t) => (t < 0.05 ? [t / 0.05, -1] : t > 0.95 ? [(1 - t) / 0.05, 1] : [1, -1 + ((t - 0.05) / 0.9) * 2]), 24, 32);
const torus = () => lathe((t) => [0.75 + 0.25 * Math.cos(2 * Math.PI * t), 0.25 * Math.sin(2 * Math.PI * t)], 24, 40);

interface Part {
  geometry: () => Geometry;
  position: Vec3;
  scale: Vec3;
  material: string;
  rotationY?: number;
}

interface MaterialSpec {
  color: Vec3;
  metallic: number;
  roughness: number;
  emissive?: Vec3;
}

interface SceneSpec {
  name: string;
  materials: Record<string, MaterialSpec>;
  parts: Part[];
}

function workshop(seed: number): SceneSpec {
  const rng = createRng(seed);
  const parts: Part[] = [{ geometry: box, position: [0, -0.05, 0], scale: [9, 0.1, 9], material: "concrete" }];
  for (let i = 0; i < 5; i++) {
    const x = range(rng, -3.2, 3.2);
    const z = range(rng, -3.2, 3.2);
    const h = range(rng, 0.8, 2);
    parts.push({
      geometry: box,
      position: [x, h / 2, z],
      scale: [range(rng, 0.8, 1.6), h, range(rng, 0.6, 1.2)],
      material: i % 2 ? "gunmetal" : "anodised",
    });
    parts.push({ geometry: cylinder, position: [x, h + 0.3, z], scale: [0.25, 0.3, 0.25], material: "steel" });
    parts.push({
      geometry: sphere,
      position: [x + 0.3, h + 0.05, z + 0.3],
      scale: [0.06, 0.06, 0.06],
      material: i % 2 ? "lampGreen" : "lampAmber",
    });
    parts.push({ geometry: torus, position: [x, h + 0.65, z], scale: [0.35, 0.35, 0.35], material: "steel" });
  }
  return {
    name: "workshop",
    parts,
    materials: {
      concrete: { color: [0.42, 0.41, 0.39], metallic: 0, roughness: 0.9 },
      gunmetal: { color: [0.16, 0.17, 0.19], metallic: 1, roughness: 0.35 },
      anodised: { color: [0.05, 0.05, 0.06], metallic: 0.9, roughness: 0.25 },
      steel: { color: [0.62, 0.62, 0.64], metallic: 1, roughness: 0.2 },
      lampGreen: { color: [0.1, 0.9, 0.2], metallic: 0, roughness: 0.3, emissive: [0.1, 1, 0.2] },
      lampAmber: { color: [1, 0.6, 0.1], metallic: 0, roughness: 0.3, emissive: [1, 0.55, 0.05] },
    },
  };
}

function toybox(seed: number): SceneSpec {
  const rng = createRng(seed);
  const parts: Part[] = [{ geometry: box, position: [0, -0.05, 0], scale: [9, 0.1, 9], material: "floor" }];
  const mats = ["red", "yellow", "blue", "green", "rubber"];
  const shapes = [box, sphere, cylinder, torus];
  for (let i = 0; i < 16; i++) {
    const s = range(rng, 0.3, 0.9);
    const shape = shapes[i % shapes.length];
    const y = shape === box ? s / 2 : shape === torus ? s * 0.25 : s;
    parts.push({
      geometry: shape,
      position: [range(rng, -3.2, 3.2), y, range(rng, -3.2, 3.2)],
      scale: [s, s, s],
      material: mats[i % mats.length],
      rotationY: range(rng, 0, 3),
    });
  }
  return {
    name: "toybox",
    parts,
    materials: {
      floor: { color: [0.92, 0.92, 0.9], metallic: 0, roughness: 0.6 },
      red: { color: [0.8, 0.05, 0.04], metallic: 0, roughness: 0.3 },
      yellow: { color: [0.95, 0.75, 0.05], metallic: 0, roughness: 0.35 },
      blue: { color: [0.05, 0.2, 0.85], metallic: 0, roughness: 0.3 },
      green: { color: [0.1, 0.65, 0.15], metallic: 0, roughness: 0.4 },
      rubber: { color: [0.06, 0.06, 0.07], metallic: 0, roughness: 0.95 },
    },
  };
}

function gallery(seed: number): SceneSpec {
  const rng = createRng(seed);
  const parts: Part[] = [
    { geometry: box, position: [0, -0.05, 0], scale: [9, 0.1, 9], material: "stone" },
    { geometry: box, position: [0, 1.5, -4.5], scale: [9, 3, 0.3], material: "wallRed" },
    { geometry: box, position: [-4.5, 1.5, 0], scale: [0.3, 3, 9], material: "wallTeal" },
  ];
  for (let i = 0; i < 6; i++) {
    const x = range(rng, -3.2, 3.2);
    const z = range(rng, -3, 3);
    parts.push({ geometry: cylinder, position: [x, 0.5, z], scale: [0.45, 0.5, 0.45], material: "marble" });
    const metal = i % 2 ? "gold" : "copper";
    const shape = [sphere, torus, box][i % 3];
    parts.push({
      geometry: shape,
      position: [x, 1.35, z],
      scale: [0.35, 0.35, 0.35],
      material: metal,
      rotationY: range(rng, 0, 3),
    });
  }
  return {
    name: "gallery",
    parts,
    materials: {
      stone: { color: [0.78, 0.76, 0.72], metallic: 0, roughness: 0.5 },
      marble: { color: [0.93, 0.92, 0.9], metallic: 0, roughness: 0.15 },
      wallRed: { color: [0.45, 0.07, 0.08], metallic: 0, roughness: 0.8 },
      wallTeal: { color: [0.04, 0.3, 0.32], metallic: 0, roughness: 0.8 },
      gold: { color: [1, 0.77, 0.34], metallic: 1, roughness: 0.25 },
      copper: { color: [0.95, 0.64, 0.54], metallic: 1, roughness: 0.4 },
    },
  };
}

export const HELDOUT_SCENES = [workshop, toybox, gallery];

/** The glTF document of a scene spec: one mesh per part, PBR metallic-roughness materials. */
export function toDocument(spec: SceneSpec): Document {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const scene = doc.createScene(spec.name);
  const materials: Record<string, Material> = {};
  for (const [name, m] of Object.entries(spec.materials)) {
    materials[name] = doc
      .createMaterial(name)
      .setBaseColorFactor([...m.color, 1])
      .setMetallicFactor(m.metallic)
      .setRoughnessFactor(m.roughness)
      .setEmissiveFactor(m.emissive ?? [0, 0, 0]);
  }
  const meshFor = (make: () => Geometry, material: string): Mesh => {
    const g = make();
    const acc = (
      type: "VEC3" | "VEC2" | "SCALAR",
      data: number[],
      Array: Float32ArrayConstructor | Uint32ArrayConstructor,
    ) => doc.createAccessor().setType(type).setArray(new Array(data)).setBuffer(buffer);
    const prim = doc
      .createPrimitive()
      .setAttribute("POSITION", acc("VEC3", g.positions, Float32Array))
      .setAttribute("NORMAL", acc("VEC3", g.normals, Float32Array))
      .setAttribute("TEXCOORD_0", acc("VEC2", g.uvs, Float32Array))
      .setIndices(acc("SCALAR", g.indices, Uint32Array))
      .setMaterial(materials[material]);
    return doc.createMesh(material).addPrimitive(prim);
  };
  spec.parts.forEach((p, i) => {
    const node: Node = doc
      .createNode(`part-${i}`)
      .setMesh(meshFor(p.geometry, p.material))
      .setTranslation(p.position)
      .setScale(p.scale)
      .setRotation([0, Math.sin((p.rotationY ?? 0) / 2), 0, Math.cos((p.rotationY ?? 0) / 2)]);
    scene.addChild(node);
  });
  return doc;
}

async function main(): Promise<void> {
  if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  const i = process.argv.indexOf("--out");
  const out = resolve(i > 0 ? process.argv[i + 1] : "data/heldout-gltf");
  mkdirSync(out, { recursive: true });
  const io = new NodeIO();
  for (const [k, make] of HELDOUT_SCENES.entries()) {
    const spec = make(1000 + k);
    await io.write(join(out, `${spec.name}.glb`), toDocument(spec));
    console.log(
      `${spec.name}: ${spec.parts.length} parts, ${Object.keys(spec.materials).length} materials -> ${join(out, spec.name)}.glb`,
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]).endsWith("gltfScenes.ts")) await main();
