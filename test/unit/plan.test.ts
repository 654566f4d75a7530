import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SPLITS as SPLIT_NAMES } from "../../training/src/dataset/contract.ts";
import {
  checkScene,
  layoutSplits,
  layoutsOf,
  sceneSourceFor,
  worldSeed,
} from "../../training/src/dataset/sceneSources.ts";
import {
  frameOnPath,
  planClips,
  planPairs,
  splitOfPath,
  FRAMES_PER_PATH,
  type PlanOptions,
} from "../../training/src/dataset/plan.ts";

const demo: PlanOptions = {
  layouts: ["yard", "street", "plaza", "market"],
  testLayout: "market",
  pathsPerLayout: 5,
  valFraction: 0.2,
  seed: 1,
  pairs: 400,
};

test("plan is deterministic and extending it only appends", () => {
  const a = planPairs(demo);
  assert.deepEqual(a, planPairs(demo));
  const more = planPairs({ ...demo, pairs: 600 });
  assert.deepEqual(more.slice(0, 400), a);
  assert.equal(new Set(more.map((j) => j.id)).size, 600, "ids are unique");
});

test("splits never share a camera path, test layout is held out, val is ~20% of the rest", () => {
  const jobs = planPairs(demo);
  const splitOf = new Map<string, string>();
  for (const j of jobs) {
    const key = `${j.layout}/${j.path}`;
    assert.equal(splitOf.get(key) ?? j.split, j.split, `path ${key} appears in two splits`);
    splitOf.set(key, j.split);
    if (j.layout === "market") assert.equal(j.split, "test");
    else assert.notEqual(j.split, "test");
  }
  const train = jobs.filter((j) => j.split === "train").length;
  const val = jobs.filter((j) => j.split === "val").length;
  assert.equal(train / (train + val), 0.8);
});

test("the first pairs span every layout", () => {
  const jobs = planPairs({ ...demo, pairs: 4 });
  assert.deepEqual(new Set(jobs.map((j) => j.layout)), new Set(demo.layouts));
});

test("single-layout scenes hold out whole paths for val and test", () => {
  const o: PlanOptions = {
    layouts: ["model"],
    testLayout: null,
    pathsPerLayout: 5,
    valFraction: 0.2,
    seed: 3,
    pairs: 50,
  };
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((p) => splitOfPath(o, "model", p)),
    ["train", "train", "train", "val", "test"],
  );
  assert.throws(() => planPairs({ ...o, pathsPerLayout: 2 }), /at least 3 camera paths/);
});

test("frames stay inside one loop of the path and do not repeat early", () => {
  const frames = Array.from({ length: 200 }, (_, k) => frameOnPath(1, "yard", 0, k));
  for (const f of frames) assert.ok(Number.isInteger(f) && f >= 0 && f < FRAMES_PER_PATH);
  assert.ok(new Set(frames).size > 190);
});

test("asking for more pairs than distinct frames is an error", () => {
  assert.throws(() => planPairs({ ...demo, pathsPerLayout: 1, pairs: 4 * FRAMES_PER_PATH + 1 }), /exceeds/);
});

test("random worlds and glTF folders hold out whole layouts, never frames of a training layout", () => {
  const o = { scene: "random", seed: 1, scenes: 10, testLayout: "market", valFraction: 0.2 };
  const layouts = layoutsOf(o);
  assert.equal(layouts.length, 10);
  assert.equal(layouts[0], "world-0000");
  const splits = layoutSplits(o);
  assert.deepEqual(
    SPLIT_NAMES.map((s) => Object.values(splits).filter((v) => v === s).length),
    [6, 2, 2],
  );
  const jobs = planPairs({
    layouts,
    testLayout: null,
    layoutSplits: splits,
    pathsPerLayout: 3,
    valFraction: 0.2,
    seed: 1,
    pairs: 120,
  });
  for (const j of jobs) assert.equal(j.split, splits[j.layout], `${j.id} is not in its world's split`);
  assert.equal(new Set(jobs.map((j) => j.layout)).size, 10);
  // World seeds differ per layout and per dataset seed.
  assert.notEqual(worldSeed(1, "world-0000"), worldSeed(1, "world-0001"));
  assert.notEqual(worldSeed(1, "world-0000"), worldSeed(2, "world-0000"));
  assert.deepEqual(layoutSplits({ ...o, scene: "courtyard" }), {});
  assert.throws(() => checkScene({ ...o, scenes: 2 }), /--scenes must be at least 3/);
  assert.throws(() => checkScene({ ...o, scene: "/nonexistent/folder" }), /unknown scene "\/nonexistent\/folder"/);
});

test("a folder of glTF files is a scene whose files are its layouts", () => {
  const dir = mkdtempSync(join(tmpdir(), "remaster-folder-"));
  for (const f of ["b.glb", "a.gltf", "c.glb", "notes.txt"]) writeFileSync(join(dir, f), "x");
  const o = { scene: dir, seed: 1, scenes: 0, testLayout: "market", valFraction: 0.2 };
  checkScene(o);
  assert.deepEqual(layoutsOf(o), ["a", "b", "c"]);
  assert.deepEqual(layoutSplits(o), { a: "train", b: "val", c: "test" });
  assert.deepEqual(sceneSourceFor(o, "b", "/user-scene/"), { kind: "gltf", url: "/user-scene/b.glb", seed: 1 });
  assert.throws(() => sceneSourceFor(o, "zz", "/user-scene/"), /no glTF file for layout "zz"/);
  const lonely = mkdtempSync(join(tmpdir(), "remaster-folder-"));
  writeFileSync(join(lonely, "only.glb"), "x");
  assert.throws(() => checkScene({ ...o, scene: lonely }), /at least 2 .glb\/.gltf files/);
});

test("clips are consecutive frames of test paths, with ids apart from the pairs'", () => {
  const o = { ...demo, pairs: 40 };
  const clips = planClips(o, { clips: 3, clipLength: 5 });
  assert.equal(clips.length, 15);
  for (const j of clips) assert.equal(j.split, "test");
  const first = clips.filter((j) => j.clip!.name === "clip00");
  assert.deepEqual(
    first.map((j) => j.frame - first[0].frame),
    [0, 1, 2, 3, 4],
  );
  assert.deepEqual(
    first.map((j) => j.clip!.index),
    [0, 1, 2, 3, 4],
  );
  assert.equal(new Set(clips.map((j) => j.id)).size, 15);
  const pairIds = new Set(planPairs(o).map((j) => j.id));
  assert.ok(clips.every((j) => !pairIds.has(j.id)));
  assert.deepEqual(planClips(o, { clips: 0, clipLength: 5 }), []);
  assert.throws(() => planClips(o, { clips: 1, clipLength: 1 }), /--clip-length must be in/);
});
