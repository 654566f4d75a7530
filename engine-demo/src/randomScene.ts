/**
 * Turns a RandomWorld (plain data, randomWorld.ts) into Babylon meshes and materials for one
 * preset. The same seed builds the same graph in every scene instance, so a (low, high) pair is
 * aligned by construction, as with the demo layouts.
 */
import { Color3 } from "@babylonjs/core/Maths/math.color.js";
import { PBRMaterial } from "@babylonjs/core/Materials/PBR/pbrMaterial.js";
import { VertexBuffer } from "@babylonjs/core/Buffers/buffer.js";
import { MeshBuilder } from "@babylonjs/core/Meshes/meshBuilder.js";
import type { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import type { Scene } from "@babylonjs/core/scene.js";
import type { QualityPreset } from "./contracts.ts";
import { createMaterials, makeTexture, textureLibrary } from "./materials.ts";
import { objectPose, terrainHeight, type RandomMaterial, type RandomObject, type RandomWorld } from "./randomWorld.ts";

export interface BuiltRandomScene {
  casters: Mesh[];
  receivers: Mesh[];
  setTime(t: number): void;
}

/** Texture libraries are costly to make: random worlds share four of them. */
const LIBRARIES = 4;

function shapeMesh(name: string, o: RandomObject, scene: Scene): Mesh {
  const [w, h, d] = o.size;
  switch (o.shape) {
    case "box":
    case "wall":
      return MeshBuilder.CreateBox(name, { width: w, height: h, depth: d }, scene);
    case "sphere":
      return MeshBuilder.CreateSphere(name, { diameterX: w, diameterY: h, diameterZ: d, segments: 24 }, scene);
    case "cylinder":
      return MeshBuilder.CreateCylinder(name, { diameter: w, height: h, tessellation: 32 }, scene);
    case "pole":
      return MeshBuilder.CreateCylinder(name, { diameter: w, height: h, tessellation: 10 }, scene);
    case "capsule":
      return MeshBuilder.CreateCapsule(name, { radius: w / 2, height: Math.max(h, w), tessellation: 24 }, scene);
    case "torus": {
      const m = MeshBuilder.CreateTorus(name, { diameter: w, thickness: w * 0.3, tessellation: 32 }, scene);
      m.rotation.x = Math.PI / 2; // stands on its rim
      return m;
    }
    case "knot":
      return MeshBuilder.CreateTorusKnot(
        name,
        { radius: w * 0.35, tube: w * 0.1, radialSegments: 96, tubularSegments: 12 },
        scene,
      );
    case "card":
      return MeshBuilder.CreatePlane(name, { width: w, height: h, sideOrientation: 2 }, scene);
  }
}

export function buildRandomScene(scene: Scene, world: RandomWorld, preset: QualityPreset): BuiltRandomScene {
  const lib = textureLibrary(1 + (world.seed % LIBRARIES));
  const shared = createMaterials(scene, lib, preset);
  const makeMaterial = (p: RandomMaterial, name: string, tiling: number) => {
    const m = new PBRMaterial(name, scene);
    m.albedoColor = new Color3(...p.albedo);
    m.metallic = p.metallic;
    m.roughness = p.roughness;
    if (p.texture) {
      const albedo = makeTexture(scene, lib.surfaces[p.texture].albedo, preset, `${p.texture}-albedo`);
      const normal = makeTexture(scene, lib.surfaces[p.texture].normal, preset, `${p.texture}-normal`);
      for (const t of [albedo, normal]) t.uScale = t.vScale = tiling;
      m.albedoTexture = albedo;
      m.bumpTexture = normal;
    }
    if (p.emissive > 0) {
      m.emissiveColor = new Color3(...p.albedo);
      m.emissiveIntensity = p.emissive;
    }
    return m;
  };
  const materials = world.materials.map((p, i) => makeMaterial(p, `random-${i}`, p.tiling));

  const casters: Mesh[] = [];
  const receivers: Mesh[] = [];
  const flat = world.bounds.radius * 3; // terrain rises beyond the orbit camera, never under it
  const ground = MeshBuilder.CreateGround(
    "ground",
    { width: world.groundSize, height: world.groundSize, subdivisions: 96, updatable: true },
    scene,
  );
  const positions = ground.getVerticesData(VertexBuffer.PositionKind)!;
  for (let i = 0; i < positions.length; i += 3) {
    positions[i + 1] = terrainHeight(world.terrain, positions[i], positions[i + 2], flat);
  }
  ground.updateVerticesData(VertexBuffer.PositionKind, positions);
  ground.createNormals(true);
  // The ground is rarely a mirror: its metallic is capped.
  const g = world.materials[world.groundMaterial];
  const groundMaterial = makeMaterial({ ...g, metallic: Math.min(g.metallic, 0.3) }, "ground", world.groundSize / 4);
  ground.material = groundMaterial;
  ground.receiveShadows = true;
  receivers.push(ground);

  const moving: Array<{ mesh: Mesh; o: RandomObject }> = [];
  world.objects.forEach((o, i) => {
    const mesh = shapeMesh(`object-${i}`, o, scene);
    mesh.material = o.shape === "card" ? shared.foliage() : materials[o.material];
    mesh.receiveShadows = true;
    casters.push(mesh);
    receivers.push(mesh);
    if (o.motion !== "none") moving.push({ mesh, o });
    const { position, rotationY } = objectPose(o, 0);
    mesh.position.set(...position);
    mesh.rotation.y = rotationY;
  });

  return {
    casters,
    receivers,
    setTime(t) {
      for (const { mesh, o } of moving) {
        const { position, rotationY } = objectPose(o, t);
        mesh.position.set(...position);
        mesh.rotation.y = rotationY;
      }
    },
  };
}
