import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  DatasetStore,
  FORMAT_VERSION,
  type DatasetIdentity,
  type ManifestRow,
} from "../../training/src/dataset/store.ts";

const identity: DatasetIdentity = {
  format: FORMAT_VERSION,
  scene: "courtyard",
  seed: 1,
  width: 64,
  height: 64,
  engine: "webgl2",
  pathsPerLayout: 3,
  testLayout: "market",
  valFraction: 0.2,
  lowScale: 1,
  extras: [],
};

function row(id: string): ManifestRow {
  return {
    id,
    scene: "courtyard",
    layout: "yard",
    seed: 1,
    path: 0,
    frame: 1,
    camera: { position: [0, 0, 0], target: [0, 0, 1], fov: 1 },
    size: { width: 64, height: 64 },
    lowSize: { width: 64, height: 64 },
    engine: "webgl2",
    presets: {},
    split: "train",
    files: { low: `low/${id}.png`, high: `high/${id}.png` },
    validation: { edgeCorrelation: 1, lowStd: 1, highStd: 1 },
    renderMs: {},
  };
}

function fresh(): DatasetStore {
  const s = new DatasetStore(join(mkdtempSync(join(tmpdir(), "remaster-store-")), "ds"));
  s.open(identity);
  return s;
}

test("a committed pair has both images and a row", () => {
  const s = fresh();
  s.commitPair(row("a"), { "low/a.png": Buffer.from("L"), "high/a.png": Buffer.from("H") });
  assert.deepEqual(
    s.readManifest().map((r) => r.id),
    ["a"],
  );
  assert.equal(readFileSync(join(s.dir, "high/a.png"), "utf8"), "H");
});

test("a torn last manifest line is cut off on resume", () => {
  const s = fresh();
  s.commitPair(row("a"), { "low/a.png": Buffer.from("L"), "high/a.png": Buffer.from("H") });
  appendFileSync(s.manifestPath, '{"id":"b","sce');
  assert.deepEqual(
    s.readManifest().map((r) => r.id),
    ["a"],
  );
  assert.ok(readFileSync(s.manifestPath, "utf8").endsWith("}\n"));
});

test("rows whose images are missing are dropped, and orphan images are removed", () => {
  const s = fresh();
  s.commitPair(row("a"), { "low/a.png": Buffer.from("L"), "high/a.png": Buffer.from("H") });
  appendFileSync(s.manifestPath, JSON.stringify(row("ghost")) + "\n");
  writeFileSync(join(s.dir, "low/orphan.png"), "half a pair");
  const rows = s.readManifest();
  assert.deepEqual(
    rows.map((r) => r.id),
    ["a"],
  );
  assert.equal(s.removeOrphans(rows, ["low", "high"]), 1);
  assert.ok(!existsSync(join(s.dir, "low/orphan.png")));
  assert.ok(existsSync(join(s.dir, "low/a.png")));
});

test("opening a directory that holds a different dataset is an error naming the difference", () => {
  const s = fresh();
  const other = new DatasetStore(s.dir);
  assert.throws(
    () => other.open({ ...identity, width: 128 }),
    /holds a different dataset \(width: 64 there, 128 asked\)/,
  );
  other.open(identity); // the same dataset reopens fine
  const notDataset = join(mkdtempSync(join(tmpdir(), "remaster-store-")), "x");
  mkdirSync(notDataset);
  writeFileSync(join(notDataset, "notes.txt"), "mine");
  assert.throws(() => new DatasetStore(notDataset).open(identity), /not empty and is not a dataset/);
});

test("a format-1 dataset (layout called variant) is migrated in place on resume and stays the same dataset", () => {
  const s = fresh();
  s.commitPair(row("a"), { "low/a.png": Buffer.from("L"), "high/a.png": Buffer.from("H") });
  const { pathsPerLayout, testLayout, ...rest } = identity;
  writeFileSync(
    join(s.dir, "dataset.json"),
    JSON.stringify({ ...rest, format: 1, pathsPerVariant: pathsPerLayout, testVariant: testLayout }),
  );
  const { layout, ...oldRow } = row("a");
  writeFileSync(s.manifestPath, JSON.stringify({ ...oldRow, variant: layout }) + "\n" + '{"id":"b","va');
  const reopened = new DatasetStore(s.dir);
  reopened.open(identity); // no "different dataset" error
  assert.deepEqual(JSON.parse(readFileSync(join(s.dir, "dataset.json"), "utf8")), identity);
  const rows = reopened.readManifest();
  assert.equal(rows[0].layout, "yard");
  assert.ok(!("variant" in rows[0]));
});
