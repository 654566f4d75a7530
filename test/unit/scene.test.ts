import assert from "node:assert/strict";
import { test } from "node:test";
import { cameraPose } from "../../engine-demo/src/cameraPaths.ts";
import { buildLayout, DEMO_LAYOUTS, moverPose } from "../../engine-demo/src/layouts.ts";
import { bricks, downscale, floorTiles } from "../../engine-demo/src/textures.ts";

test("layouts are deterministic per (layout, seed) and differ between layouts and seeds", () => {
  for (const v of DEMO_LAYOUTS) assert.deepEqual(buildLayout(v, 7), buildLayout(v, 7));
  const sigs = DEMO_LAYOUTS.map((v) => JSON.stringify(buildLayout(v, 1).buildings));
  assert.equal(new Set(sigs).size, DEMO_LAYOUTS.length);
  assert.notDeepEqual(buildLayout("yard", 1), buildLayout("yard", 2));
  assert.throws(() => buildLayout("moon", 1), /unknown demo layout "moon"/);
});

test("every layout has the required kinds of objects", () => {
  for (const v of DEMO_LAYOUTS) {
    const l = buildLayout(v, 1);
    assert.ok(l.buildings.length >= 4, `${v} buildings`);
    assert.ok(l.trees.length >= 1 && l.signs.length >= 1 && l.movers.length >= 3, `${v} furniture`);
    assert.ok(new Set(l.props.map((p) => p.material)).size >= 2, `${v} materials`);
  }
});

test("camera paths are smooth, seeded and stay in the walk area", () => {
  const area = buildLayout("street", 1).walkArea;
  let prev = cameraPose({ area, seed: 5, path: 0 }, 0);
  for (let f = 1; f < 720; f++) {
    const p = cameraPose({ area, seed: 5, path: 0 }, f / 30);
    const step = Math.hypot(
      p.position[0] - prev.position[0],
      p.position[1] - prev.position[1],
      p.position[2] - prev.position[2],
    );
    assert.ok(step < 0.5, `camera jumped ${step.toFixed(2)} m at frame ${f}`);
    assert.ok(p.position[0] >= area.minX - 1 && p.position[0] <= area.maxX + 1);
    prev = p;
  }
  assert.notDeepEqual(cameraPose({ area, seed: 5, path: 0 }, 3), cameraPose({ area, seed: 5, path: 1 }, 3));
  assert.deepEqual(cameraPose({ area, seed: 5, path: 2 }, 3), cameraPose({ area, seed: 5, path: 2 }, 3));
});

test("movers are a pure function of time", () => {
  const m = buildLayout("yard", 1).movers[0];
  assert.deepEqual(moverPose(m, 1.5), moverPose(m, 1.5));
  assert.notDeepEqual(moverPose(m, 1.5), moverPose(m, 2.5));
});

test("procedural textures are deterministic, and the low set is a box-filtered quarter size", () => {
  const a = floorTiles(3, 64, 4);
  assert.deepEqual(a.albedo.data, floorTiles(3, 64, 4).albedo.data);
  assert.notDeepEqual(a.albedo.data, floorTiles(4, 64, 4).albedo.data);
  const b = bricks(1, 64, 8);
  const q = downscale(b.albedo, 4);
  assert.equal(q.width, 16);
  const mean = (d: Uint8Array) => d.reduce((s, v) => s + v, 0) / d.length;
  assert.ok(Math.abs(mean(q.data) - mean(b.albedo.data)) < 1, "downscale keeps the mean");
  assert.throws(() => downscale(b.albedo, 3), /must be a positive integer dividing/);
});
