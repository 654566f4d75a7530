/**
 * A game's own scene module through the dataset CLI (`--scene examples/lantern-crypt/scene.ts`) on
 * both engines: the module is bundled into the harness, its own low/high settings apply, pairs,
 * masks and the module's hash land in the dataset. A module outside the repository (resolving
 * Babylon through the renderer's copy) with a missing export, or one that does not build, is an
 * error naming the module.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodePng } from "../../training/src/dataset/png.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const cli = join(root, "training/src/dataset/cli.ts");
const tsx = join(root, "node_modules/.bin/tsx");
const example = join(root, "examples/lantern-crypt/scene.ts");

function render(scene: string, out: string, engine: string, pairs = 3) {
  const args = [cli, "--scene", scene, "--pairs", String(pairs), "--size", "64", "--paths", "3", "--out", out];
  return spawnSync(tsx, [...args, "--workers", "1", "--engine", engine, "--quiet", "--no-export"], {
    cwd: root,
    encoding: "utf8",
    timeout: 240_000,
  });
}

for (const engine of ["webgl2", "webgpu"]) {
  test(`the example game renders pairs with its own quality settings on ${engine}`, { timeout: 300_000 }, () => {
    const out = join(mkdtempSync(join(tmpdir(), "remaster-module-")), "ds");
    const r = render(example, out, engine);
    assert.equal(r.status, 0, r.stderr);
    const identity = JSON.parse(readFileSync(join(out, "dataset.json"), "utf8"));
    assert.match(identity.sceneModuleSha256, /^[0-9a-f]{64}$/);
    const rows = readFileSync(join(out, "manifest.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(rows.length, 3);
    assert.deepEqual(new Set(rows.map((x) => x.split)), new Set(["train", "val", "test"]));
    for (const row of rows) {
      assert.equal(row.layout, "lantern-crypt");
      assert.equal(row.engine, engine);
      assert.deepEqual(row.presets.low, []); // the module's low: no post-process on the camera
      assert.ok(row.presets.high.includes("bloomMerge") && row.presets.high.includes("ssao"), row.presets.high);
      const low = decodePng(readFileSync(join(out, row.files.low)));
      const high = decodePng(readFileSync(join(out, row.files.high)));
      const mask = decodePng(readFileSync(join(out, row.mask)));
      let diff = 0;
      let lit = 0;
      for (let i = 0; i < low.data.length; i += 4) {
        diff += Math.abs(low.data[i] - high.data[i]) + Math.abs(low.data[i + 2] - high.data[i + 2]);
        lit += mask.data[i] > 127 ? 1 : 0;
      }
      const pixels = low.data.length / 4;
      assert.ok(diff / pixels > 2, `low and high look the same (${(diff / pixels).toFixed(2)} per pixel)`);
      assert.ok(lit > pixels * 0.2 && lit < pixels, `mask covers ${lit} of ${pixels} pixels`);
    }
  });
}

test("a module with a missing export, or one that does not build, is an error naming it", { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "remaster-badmodule-"));
  const missing = join(dir, "half-game.ts");
  writeFileSync(
    missing,
    `import { Scene } from "@babylonjs/core/scene.js";\nexport function createScene(engine: any) { return new Scene(engine); }\n`,
  );
  const r = render(missing, join(dir, "ds"), "webgl2", 1);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /scene module half-game\.ts: missing export "applyQuality"/);

  const broken = join(dir, "broken.ts");
  writeFileSync(broken, `export function createScene( {\n`);
  const b = render(broken, join(dir, "ds2"), "webgl2", 1);
  assert.notEqual(b.status, 0);
  assert.match(b.stderr, /scene module .*broken\.ts does not build: \/.*broken\.ts:\d+: /);
});
