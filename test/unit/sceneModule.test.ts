/** Scene modules (engine-demo/src/sceneModule.ts): export checks, and what `--scene FILE.ts` means to the renderer. */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { sceneModuleProblems } from "../../engine-demo/src/sceneModule.ts";
import { parseDatasetArgs } from "../../training/src/dataset/options.ts";
import { planPairs } from "../../training/src/dataset/plan.ts";
import { planOptionsFor } from "../../training/src/dataset/cli.ts";
import { layoutsOf, sceneKind, sceneSourceFor, userSceneDir } from "../../training/src/dataset/sceneSources.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const example = join(root, "examples/lantern-crypt/scene.ts");

test("a module's missing or mistyped exports are named, with the module", () => {
  const noop = () => undefined;
  assert.deepEqual(sceneModuleProblems("ok.ts", { createScene: noop, applyQuality: noop }), []);
  assert.deepEqual(sceneModuleProblems("def.ts", { default: { createScene: noop, applyQuality: noop } }), []);
  const [missing] = sceneModuleProblems("game.ts", { createScene: noop });
  assert.match(missing, /scene module game\.ts: missing export "applyQuality"/);
  const [typed] = sceneModuleProblems("game.ts", { createScene: noop, applyQuality: noop, cameraPose: 3 });
  assert.match(typed, /export "cameraPose" must be a function .* it is a number/);
  assert.equal(sceneModuleProblems("game.ts", {}).length, 2);
});

test("--scene FILE.ts is a scene module: one layout named after it, camera paths held out", () => {
  const o = parseDatasetArgs(["--scene", example, "--paths", "5", "--pairs", "20"]);
  assert.equal(sceneKind(o.scene), "module");
  assert.deepEqual(layoutsOf(o), ["lantern-crypt"]); // a generic stem (scene.ts) takes its folder's name
  assert.deepEqual(sceneSourceFor(o, "lantern-crypt", "/user-scene/"), {
    kind: "module",
    assetsUrl: "/user-scene/",
    seed: 1,
  });
  assert.equal(userSceneDir(o.scene), dirname(example));
  const splits = new Map(planPairs(planOptionsFor(o)).map((j) => [j.path, j.split]));
  assert.deepEqual([...splits.entries()].sort(), [
    [0, "train"],
    [1, "train"],
    [2, "train"],
    [3, "val"],
    [4, "test"],
  ]);
  assert.throws(() => parseDatasetArgs(["--scene", "/nonexistent/game.ts"]), /scene module not found/);
  assert.throws(
    () => parseDatasetArgs(["--scene", example, "--extras", "low_fxaa_sharpen"]),
    /--extras: .*scene module has its own low\/high/,
  );
});
