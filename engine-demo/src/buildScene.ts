/** Turns a Layout (plain data) into Babylon meshes with the preset's materials. */
import { MeshBuilder } from "@babylonjs/core/Meshes/meshBuilder.js";
import type { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import { TransformNode } from "@babylonjs/core/Meshes/transformNode.js";
import { Vector4 } from "@babylonjs/core/Maths/math.vector.js";
import type { Scene } from "@babylonjs/core/scene.js";
import type { Layout, Mover, Prop } from "./layouts.ts";
import { moverPose } from "./layouts.ts";
import type { MaterialSet } from "./materials.ts";

/** Metres of wall covered by one repeat of a wall texture. */
const WALL_TEXTURE_METRES = 4;
/** Metres of floor covered by one repeat of the tile texture. */
const FLOOR_TEXTURE_METRES = 4;

export interface BuiltScene {
  /** Meshes that cast shadows (everything but the ground). */
  casters: Mesh[];
  /** Meshes that receive shadows (everything). */
  receivers: Mesh[];
  /** Moves the animated objects to scene time t (seconds). */
  setTime(t: number): void;
}

/** A box whose UVs repeat the texture once per WALL_TEXTURE_METRES on every face. */
function texturedBox(name: string, scene: Scene, w: number, h: number, d: number): Mesh {
  const s = 1 / WALL_TEXTURE_METRES;
  const face = (u: number, v: number) => new Vector4(0, 0, u * s, v * s);
  // Face order: front, back, right, left, top, bottom.
  return MeshBuilder.CreateBox(
    name,
    {
      width: w,
      height: h,
      depth: d,
      faceUV: [face(w, h), face(w, h), face(d, h), face(d, h), face(w, d), face(w, d)],
      wrap: true,
    },
    scene,
  );
}

function propMesh(name: string, prop: Pick<Prop, "shape" | "size">, scene: Scene): Mesh {
  switch (prop.shape) {
    case "sphere":
      return MeshBuilder.CreateSphere(name, { diameter: prop.size, segments: 24 }, scene);
    case "box":
      return MeshBuilder.CreateBox(name, { size: prop.size }, scene);
    case "cylinder":
      return MeshBuilder.CreateCylinder(
        name,
        { diameter: prop.size, height: prop.size * (prop.size < 1 ? 6 : 1), tessellation: 32 },
        scene,
      );
    case "torus":
      return MeshBuilder.CreateTorus(
        name,
        { diameter: prop.size, thickness: prop.size * 0.3, tessellation: 32 },
        scene,
      );
  }
}

export function buildScene(scene: Scene, layout: Layout, materials: MaterialSet): BuiltScene {
  const casters: Mesh[] = [];
  const receivers: Mesh[] = [];
  const add = (m: Mesh, casts = true) => {
    receivers.push(m);
    if (casts) casters.push(m);
    m.receiveShadows = true;
    return m;
  };

  const ground = MeshBuilder.CreateGround(
    "ground",
    { width: layout.groundSize, height: layout.groundSize, subdivisions: 2 },
    scene,
  );
  ground.material = materials.surface("tiles", layout.groundSize / FLOOR_TEXTURE_METRES);
  add(ground, false);

  layout.buildings.forEach((b, i) => {
    const box = texturedBox(`building-${i}`, scene, b.width, b.height, b.depth);
    box.position.set(b.x, b.height / 2, b.z);
    box.material = materials.surface(b.surface);
    add(box);
  });

  layout.props.forEach((p, i) => {
    const m = propMesh(`prop-${i}`, p, scene);
    m.position.set(p.x, p.shape === "cylinder" && p.size < 1 ? p.size * 3 : p.y, p.z);
    m.rotation.y = p.rotY;
    m.material = materials.prop(p.material);
    add(m);
  });

  layout.trees.forEach((t, i) => {
    const trunk = MeshBuilder.CreateCylinder(
      `trunk-${i}`,
      { diameterTop: 0.15, diameterBottom: 0.3, height: t.height * 0.6, tessellation: 12 },
      scene,
    );
    trunk.position.set(t.x, t.height * 0.3, t.z);
    trunk.material = materials.trunk();
    add(trunk);
    // Three crossed alpha-tested cards make the crown.
    for (let k = 0; k < 3; k++) {
      const card = MeshBuilder.CreatePlane(
        `leaves-${i}-${k}`,
        { width: t.height * 0.7, height: t.height * 0.7, sideOrientation: 2 },
        scene,
      );
      card.position.set(t.x, t.height * 0.68, t.z);
      card.rotation.y = (k * Math.PI) / 3;
      card.material = materials.foliage();
      add(card);
    }
  });

  layout.signs.forEach((s, i) => {
    const plane = MeshBuilder.CreatePlane(`sign-${i}`, { width: s.width, height: s.height }, scene);
    plane.position.set(s.x, s.y, s.z);
    plane.rotation.y = s.rotY;
    plane.material = materials.sign();
    add(plane, false);
  });

  const movers: Array<{ node: TransformNode; mover: Mover }> = layout.movers.map((mv, i) => {
    const node = new TransformNode(`mover-${i}`, scene);
    const shape = mv.motion === "spin" ? "torus" : mv.motion === "slide" ? "box" : "sphere";
    const mesh = propMesh(`mover-mesh-${i}`, { shape, size: mv.size }, scene);
    if (shape === "torus") mesh.rotation.x = Math.PI / 2;
    mesh.parent = node;
    mesh.material = materials.prop(mv.material);
    add(mesh);
    return { node, mover: mv };
  });

  return {
    casters,
    receivers,
    setTime(t: number) {
      for (const { node, mover } of movers) {
        const p = moverPose(mover, t);
        node.position.set(p.x, p.y, p.z);
        node.rotation.y = p.rotY;
      }
    },
  };
}
