/**
 * The dataset CLI end to end: 4 pairs at 128x128, killed (SIGKILL) once mid-run, then resumed
 * with the same command. Afterwards every manifest row has both images, every image decodes at
 * the right size, nothing is orphaned, the exported layouts agree with the manifest, and the
 * trainer's own reader opens the dataset.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodePng } from "../../training/src/dataset/png.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const cli = join(root, "training/src/dataset/cli.ts");
const tsx = join(root, "node_modules/.bin/tsx");

function manifestRows(out: string): Array<{ id: string; split: string; files: Record<string, string> }> {
  const path = join(out, "manifest.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

const READ_WITH_TRAINER = `
import json, sys
from remaster.data import PairedFrames
from remaster.dataset import read_manifest, split_rows, splits
root = sys.argv[1]
rows = read_manifest(root)
print(json.dumps({"splits": {s: len(split_rows(root, s)) for s in splits()},
                  "layouts": sorted({r["layout"] for r in rows}),
                  "trainShape": list(PairedFrames(root, "train").pair(0)[0].shape)}))
`;

test("dataset CLI: killed mid-run, resumed, complete and consistent", { timeout: 300_000 }, async () => {
  const out = join(mkdtempSync(join(tmpdir(), "remaster-e2e-")), "ds");
  const args = [cli, "--pairs", "4", "--size", "128", "--out", out, "--workers", "1", "--paths", "3", "--quiet"];

  // First run: kill it as soon as the first pair is committed.
  const child = spawn(tsx, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const killedAt = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const n = manifestRows(out).length;
      if (n >= 1) {
        clearInterval(timer);
        process.kill(-child.pid!, "SIGKILL"); // the whole group: node and its Chromium
        resolve(n);
      }
    }, 100);
    child.on("exit", (code) => {
      clearInterval(timer);
      if (manifestRows(out).length < 4)
        reject(new Error(`first run exited (${code}) before it could be killed: ${stderr}`));
      else resolve(4);
    });
  });
  assert.ok(killedAt < 4, "the run finished before it was killed: the kill was not tested");

  // Second run: the same command resumes.
  const resumed = spawnSync(tsx, args, { cwd: root, encoding: "utf8", timeout: 240_000 });
  assert.equal(resumed.status, 0, resumed.stderr);
  const summary = JSON.parse(resumed.stdout);
  assert.equal(summary.pairs, 4);
  assert.ok(summary.rendered <= 4 - killedAt, `resume re-rendered ${summary.rendered} pairs, ${killedAt} were done`);

  const rows = manifestRows(out);
  assert.equal(rows.length, 4);
  assert.equal(new Set(rows.map((r) => r.id)).size, 4);
  for (const r of rows) {
    for (const side of ["low", "high"]) {
      const img = decodePng(readFileSync(join(out, r.files[side])));
      assert.equal(img.width, 128);
      assert.equal(img.height, 128);
    }
  }
  for (const folder of ["low", "high"]) {
    assert.deepEqual(
      readdirSync(join(out, folder)).sort(),
      rows.map((r) => `${r.id}.png`).sort(),
      `${folder}/ holds files without rows`,
    );
  }
  assert.equal(readdirSync(out).filter((n) => n.endsWith(".tmp")).length, 0);
  // The first four pairs span all four layouts, so the held-out test layout is among them.
  assert.deepEqual(new Set(rows.map((r) => r.split)), new Set(["train", "val", "test"]));
  const trainA = readdirSync(join(out, "img2img-turbo/train_A")).sort();
  assert.deepEqual(
    trainA,
    rows
      .filter((r) => r.split === "train")
      .map((r) => `${r.id}.png`)
      .sort(),
  );
  const columns = readFileSync(join(out, "columns/test.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(Object.keys(columns[0]).sort(), ["edit_prompt", "edited_image", "input_image"]);

  // The trainer's reader (training/remaster/dataset.py) opens what the renderer wrote: one contract.
  const python = join(root, "training/.venv/bin/python");
  const read = spawnSync(python, ["-c", READ_WITH_TRAINER, out], { cwd: root, encoding: "utf8" });
  assert.equal(read.status, 0, read.stderr);
  const seen = JSON.parse(read.stdout) as { splits: Record<string, number>; layouts: string[]; trainShape: number[] };
  assert.deepEqual(
    seen.splits,
    Object.fromEntries(["train", "val", "test"].map((s) => [s, rows.filter((r) => r.split === s).length])),
  );
  assert.deepEqual(seen.layouts, ["market", "plaza", "street", "yard"]);
  assert.deepEqual(seen.trainShape, [3, 128, 128]);

  // Rerunning a finished dataset renders nothing; a different size in the same folder is refused.
  const again = spawnSync(tsx, args, { cwd: root, encoding: "utf8" });
  assert.equal(JSON.parse(again.stdout).rendered, 0);
  const clash = spawnSync(tsx, [...args.slice(0, 4), "96", ...args.slice(5)], { cwd: root, encoding: "utf8" });
  assert.equal(clash.status, 1);
  assert.match(clash.stderr, /holds a different dataset \(width: 128 there, 96 asked/);
});

test(
  "a scene file that fails to load is an error naming the file, and no pair is written",
  { timeout: 120_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "remaster-broken-"));
    const scene = join(dir, "broken.glb");
    writeFileSync(scene, "not a glTF file");
    const out = join(dir, "ds");
    const args = [cli, "--scene", scene, "--pairs", "2", "--size", "64", "--out", out, "--workers", "1", "--quiet"];
    const run = spawnSync(tsx, args, { cwd: root, encoding: "utf8", timeout: 100_000 });
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`scene ${scene} \\(broken\\) failed to load in the browser: .*broken\\.glb`));
    assert.doesNotMatch(run.stderr, /^\s+at /m, "a browser stack trace reached the user");
    assert.equal(manifestRows(out).length, 0);
  },
);

const READ_GUIDES = `
import json, sys
from remaster.data import PairedFrames
from remaster.guides import sun_in_view
root = sys.argv[1]
frames = PairedFrames(root, "train", guides=("depth", "sun"))
src, _ = frames.pair(0)
print(json.dumps({"shape": list(src.shape), "depthRange": [float(src[3].min()), float(src[3].max())],
                  "sun": [float(v) for v in src[4:, 0, 0]]}))
`;

test("--guides: a depth map and the sun's direction for every pair, read by the trainer", { timeout: 180_000 }, () => {
  const out = join(mkdtempSync(join(tmpdir(), "remaster-guides-")), "ds");
  const args = [cli, "--scene", "random", "--scenes", "5", "--pairs", "5", "--size", "64", "--paths", "1"];
  const run = spawnSync(tsx, [...args, "--guides", "--workers", "1", "--quiet", "--out", out], {
    cwd: root,
    encoding: "utf8",
    timeout: 170_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const rows = manifestRows(out) as unknown as Array<{ id: string; depth?: string; sun?: number[]; mask?: string }>;
  assert.equal(rows.length, 5);
  for (const r of rows) {
    assert.equal(r.depth, `depth/${r.id}.f32`);
    const z = new Float32Array(new Uint8Array(readFileSync(join(out, r.depth!))).buffer);
    assert.equal(z.length, 64 * 64);
    assert.ok(z.some((v) => v > 0) && z.every((v) => v >= 0 && Number.isFinite(v)), `${r.id}: depth values`);
    assert.equal(r.sun?.length, 3);
    assert.ok(Math.abs(Math.hypot(...r.sun!) - 1) < 0.01, `${r.id}: sun ${JSON.stringify(r.sun)} is not unit length`);
    assert.ok(r.sun![1] < 0, `${r.id}: the sun shines downwards`);
  }
  const python = join(root, "training/.venv/bin/python");
  const read = spawnSync(python, ["-c", READ_GUIDES, out], { cwd: root, encoding: "utf8" });
  assert.equal(read.status, 0, read.stderr);
  const seen = JSON.parse(read.stdout) as { shape: number[]; depthRange: number[]; sun: number[] };
  assert.deepEqual(seen.shape, [7, 64, 64]); // RGB + depth + the sun's three planes
  assert.ok(seen.depthRange[0] >= -1 && seen.depthRange[1] <= 1 && seen.depthRange[0] < seen.depthRange[1]);
  assert.ok(Math.abs(Math.hypot(...seen.sun) - 1) < 0.01);
});
