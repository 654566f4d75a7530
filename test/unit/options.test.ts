import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { identityFor } from "../../training/src/dataset/cli.ts";
import { DEFAULTS, parseDatasetArgs } from "../../training/src/dataset/options.ts";

test("defaults and overrides", () => {
  const o = parseDatasetArgs(["--pairs", "12", "--size", "640x360", "--workers", "1", "--extras", "low_fxaa_sharpen"]);
  assert.equal(o.pairs, 12);
  assert.equal(o.width, 640);
  assert.equal(o.height, 360);
  assert.deepEqual(o.extras, ["low_fxaa_sharpen"]);
  assert.equal(o.scene, DEFAULTS.scene);
});

test("--guides: depth and the sun for every pair, part of the dataset's identity", () => {
  assert.equal(parseDatasetArgs([]).guides, false);
  const o = parseDatasetArgs(["--guides"]);
  assert.equal(o.guides, true);
  assert.equal(identityFor(o).guides, true);
  assert.equal(identityFor(parseDatasetArgs([])).guides, undefined); // older datasets stay openable
  assert.throws(() => parseDatasetArgs(["--guides", "--no-masks"]), /--guides needs masks/);
});

test("--low-shadows: low keeps a hard shadow map of a listed size, part of the dataset's identity", () => {
  assert.equal(parseDatasetArgs([]).lowShadows, 0);
  assert.equal(identityFor(parseDatasetArgs([])).lowShadows, undefined); // older datasets stay openable
  const o = parseDatasetArgs(["--low-shadows", "512"]);
  assert.equal(o.lowShadows, 512);
  assert.equal(identityFor(o).lowShadows, 512);
  assert.throws(() => parseDatasetArgs(["--low-shadows", "500"]), /--low-shadows must be 0 or one of 256, 512/);
  assert.throws(() => parseDatasetArgs(["--low-shadows", "-1"]), /--low-shadows must be an integer/);
  const dir = mkdtempSync(join(tmpdir(), "remaster-module-"));
  writeFileSync(join(dir, "scene.ts"), "export {};\n");
  assert.throws(
    () => parseDatasetArgs(["--scene", join(dir, "scene.ts"), "--low-shadows", "512"]),
    /--low-shadows: a scene module's applyQuality decides its own low/,
  );
});

test("bad input is an error naming what is wrong", () => {
  assert.throws(() => parseDatasetArgs(["--scene", "castle"]), /unknown scene "castle"/);
  assert.throws(() => parseDatasetArgs(["--size", "500"]), /multiple of 8.*500/);
  assert.throws(() => parseDatasetArgs(["--size", "big"]), /--size must be N or WxH/);
  assert.throws(() => parseDatasetArgs(["--pairs", "0"]), /--pairs must be an integer/);
  assert.throws(() => parseDatasetArgs(["--pairs"]), /--pairs needs a value/);
  assert.throws(() => parseDatasetArgs(["--frobnicate", "1"]), /unknown option "--frobnicate"/);
  assert.throws(() => parseDatasetArgs(["--engine", "vulkan"]), /--engine must be webgl2 or webgpu/);
  assert.throws(() => parseDatasetArgs(["--extras", "dlss"]), /unknown baseline "dlss"/);
  assert.throws(() => parseDatasetArgs(["--extras", "low_fsr1"]), /needs --engine webgpu/);
  assert.throws(() => parseDatasetArgs(["--test-layout", "moon"]), /unknown layout "moon"/);
  assert.throws(() => parseDatasetArgs(["--test-variant", "market"]), /--test-variant is now --test-layout/);
  assert.throws(() => parseDatasetArgs(["--size", "136", "--low-scale", "0.5"]), /multiple of 8/);
  assert.throws(() => parseDatasetArgs(["--scene", "/nonexistent/model.glb"]), /glTF file not found/);
});

test("a glTF path is accepted when the file exists", () => {
  const dir = mkdtempSync(join(tmpdir(), "remaster-opt-"));
  const file = join(dir, "thing.glb");
  writeFileSync(file, "x");
  assert.equal(parseDatasetArgs(["--scene", file]).scene, file);
});
