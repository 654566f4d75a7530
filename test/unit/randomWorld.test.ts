import assert from "node:assert/strict";
import { test } from "node:test";
import { hsv, objectPose, randomWorld, terrainHeight } from "../../engine-demo/src/randomWorld.ts";

const worlds = Array.from({ length: 60 }, (_, i) => randomWorld(i));
const materials = worlds.flatMap((w) => w.materials);

test("a random world is a pure function of its seed, and seeds differ", () => {
  assert.deepEqual(randomWorld(7), randomWorld(7));
  assert.notDeepEqual(randomWorld(7).objects, randomWorld(8).objects);
});

test("materials span the whole range: black to white albedo, metallic and roughness 0-1, textures, emissive", () => {
  const value = materials.map((m) => Math.max(...m.albedo));
  assert.ok(
    Math.min(...value) < 0.1 && Math.max(...value) > 0.9,
    `albedo value range ${Math.min(...value)}..${Math.max(...value)}`,
  );
  const grey = materials.filter((m) => Math.max(...m.albedo) - Math.min(...m.albedo) < 0.05).length;
  assert.ok(grey > 10, "few unsaturated materials");
  assert.ok(materials.some((m) => m.metallic > 0.95) && materials.some((m) => m.metallic < 0.05));
  assert.ok(
    materials.some((m) => m.metallic > 0.3 && m.metallic < 0.7),
    "no in-between metallic",
  );
  assert.ok(materials.some((m) => m.roughness < 0.1) && materials.some((m) => m.roughness > 0.9));
  assert.ok(materials.some((m) => m.texture !== null) && materials.some((m) => m.emissive > 0));
  const hues = new Set(
    materials
      .filter((m) => Math.max(...m.albedo) - Math.min(...m.albedo) > 0.3)
      .map((m) => Math.floor(hueOf(m.albedo) * 6)),
  );
  assert.equal(hues.size, 6, "saturated albedos should cover every sixth of the hue circle");
});

test("geometry and lighting vary: every shape, moving objects, terrain, sun and sky", () => {
  const shapes = new Set(worlds.flatMap((w) => w.objects.map((o) => o.shape)));
  assert.deepEqual([...shapes].sort(), [
    "box",
    "capsule",
    "card",
    "cylinder",
    "knot",
    "pole",
    "sphere",
    "torus",
    "wall",
  ]);
  assert.ok(worlds.some((w) => w.objects.some((o) => o.motion !== "none")));
  assert.ok(worlds.some((w) => w.terrain.amplitude === 0) && worlds.some((w) => w.terrain.amplitude > 0.5));
  const elevations = worlds.map((w) => -w.sunDirection[1]);
  assert.ok(Math.min(...elevations) < 0.4 && Math.max(...elevations) > 0.9);
  for (const w of worlds) assert.ok(Math.abs(Math.hypot(...w.sunDirection) - 1) < 1e-9);
  const sky = worlds.map((w) => Math.max(...w.background));
  assert.ok(Math.min(...sky) < 0.3 && Math.max(...sky) > 0.9, "backgrounds should go from dark to bright");
});

test("terrain is flat under the orbit camera and objects move as pure functions of time", () => {
  const t = { amplitude: 1, frequency: 0.1, phase: 3 };
  assert.equal(Math.abs(terrainHeight(t, 2, 3, 10)), 0);
  assert.ok(Math.abs(terrainHeight(t, 25, 17, 10)) > 0);
  const o = randomWorld(3).objects[0];
  assert.deepEqual(objectPose({ ...o, motion: "spin" }, 2), objectPose({ ...o, motion: "spin" }, 2));
  assert.deepEqual(objectPose({ ...o, motion: "none" }, 5).position, o.position);
  assert.deepEqual(hsv(0, 0, 1), [1, 1, 1]);
  assert.deepEqual(hsv(0, 1, 1), [1, 0, 0]);
});

function hueOf([r, g, b]: [number, number, number]): number {
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  const h = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return h / 6;
}

test("every object stays clear of the orbit camera (no frame from inside a wall)", () => {
  for (const w of worlds) {
    const spread = w.bounds.radius / 0.7;
    for (const o of w.objects) {
      const reach = Math.hypot(o.position[0], o.position[2]) + Math.hypot(o.size[0], o.size[2]) / 2;
      assert.ok(
        reach <= spread * 0.8 + 1e-9,
        `world ${w.seed}: a ${o.shape} reaches ${reach.toFixed(2)} m, limit ${(spread * 0.8).toFixed(2)}`,
      );
    }
    // The orbit camera (cameraPaths.orbitPose) circles at >= 1.6 bounds radii = 1.12 spread.
    assert.ok(1.6 * w.bounds.radius > spread * 0.8 + 1);
  }
});
