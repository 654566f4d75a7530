/**
 * `npm run dataset -- --scene courtyard --pairs 2000 --size 512 --out data/courtyard --seed 1 --workers 2`
 * Renders the scene twice per frame (low and high presets, same camera and instant) into a paired
 * dataset. Rerunning the same command resumes: finished pairs are skipped.
 */
import { resolve } from "node:path";
import { launchChromium, serveDemo } from "../../../engine-demo/node/browser.ts";
import { MASK } from "../../../engine-demo/src/contracts.ts";
import { RANDOM_WORLD_VERSION } from "../../../engine-demo/src/randomWorld.ts";
import { DEPTH } from "./renderPairs.ts";
import { SPLITS } from "./contract.ts";
import { exportLayouts } from "./exportLayouts.ts";
import { parseDatasetArgs, UsageRequested, type DatasetOptions } from "./options.ts";
import { planClips, planPairs, type PlanOptions } from "./plan.ts";
import { Progress } from "./progress.ts";
import { renderPairs } from "./renderPairs.ts";
import { layoutSplits, layoutsOf, sceneKind, sceneName, userSceneDir } from "./sceneSources.ts";
import { bundleSceneModule, sceneModuleHash } from "./sceneModuleBundle.ts";
import { DatasetStore, FORMAT_VERSION, type DatasetIdentity } from "./store.ts";

export function planOptionsFor(o: DatasetOptions): PlanOptions {
  return {
    layouts: layoutsOf(o),
    testLayout: sceneKind(o.scene) === "demo" ? o.testLayout : null,
    layoutSplits: layoutSplits(o),
    pathsPerLayout: o.pathsPerLayout,
    valFraction: o.valFraction,
    seed: o.seed,
    pairs: o.pairs,
  };
}

export function identityFor(o: DatasetOptions): DatasetIdentity {
  const kind = sceneKind(o.scene);
  return {
    format: FORMAT_VERSION,
    scene: sceneName(o.scene),
    seed: o.seed,
    width: o.width,
    height: o.height,
    engine: o.engine,
    pathsPerLayout: o.pathsPerLayout,
    testLayout: kind === "demo" ? o.testLayout : null,
    valFraction: o.valFraction,
    lowScale: o.lowScale,
    extras: o.extras,
    ...(kind === "random" ? { scenes: o.scenes, worldVersion: RANDOM_WORLD_VERSION } : {}),
    ...(kind === "module" ? { sceneModuleSha256: sceneModuleHash(o.scene) } : {}),
    ...(o.masks ? { masks: true } : {}),
    ...(o.clips > 0 ? { clips: o.clips, clipLength: o.clipLength } : {}),
    ...(o.guides ? { guides: true } : {}),
    ...(o.lowShadows ? { lowShadows: o.lowShadows } : {}),
  };
}

export async function runDataset(o: DatasetOptions): Promise<Record<string, unknown>> {
  const started = Date.now();
  const out = resolve(o.out);
  const planOpts = planOptionsFor(o);
  const plan = [...planPairs(planOpts), ...planClips(planOpts, o)];
  const store = new DatasetStore(out);
  store.open(identityFor(o));
  const folders = ["low", "high", ...o.extras, ...(o.masks ? [MASK] : []), ...(o.clips > 0 ? [DEPTH] : [])];
  const existing = store.readManifest();
  const orphans = store.removeOrphans(existing, folders);
  const done = new Set(existing.map((r) => r.id));
  const todo = plan.filter((j) => !done.has(j.id));
  if (!o.quiet) {
    process.stderr.write(
      `dataset ${out}: ${plan.length} pairs planned, ${plan.length - todo.length} already done${orphans ? `, ${orphans} orphan images removed` : ""}\n`,
    );
  }
  let renderMs = 0;
  let overheadMs = 0;
  if (todo.length) {
    const userDir = userSceneDir(o.scene);
    // A scene module gets its own harness page (the module bundled in), served as the site root.
    const bundle = sceneKind(o.scene) === "module" ? await bundleSceneModule(o.scene) : null;
    const server = await serveDemo({
      ...(userDir ? { "/user-scene/": userDir } : {}),
      ...(bundle ? { "/": bundle.dir } : {}),
    });
    const browser = await launchChromium();
    const progress = new Progress(todo.length, "pairs", process.stderr, o.quiet);
    try {
      await renderPairs({
        browser,
        baseUrl: server.url,
        userSceneMount: "/user-scene/",
        options: o,
        store,
        jobs: todo,
        onPair: (_row, t) => {
          renderMs += t.renderMs;
          overheadMs += t.overheadMs;
          progress.tick();
        },
      });
    } finally {
      progress.finish();
      await browser.close().catch(() => undefined);
      await server.close();
      bundle?.dispose();
    }
  }
  const rows = store.readManifest();
  store.finish(
    rows,
    plan.map((j) => j.id),
  );
  const wanted = new Set(plan.map((j) => j.id));
  const inPlan = rows.filter((r) => wanted.has(r.id));
  const exported = o.exportLayouts ? exportLayouts(out, inPlan) : null;
  const splits = Object.fromEntries(SPLITS.map((s) => [s, inPlan.filter((r) => r.split === s).length]));
  const wallS = (Date.now() - started) / 1000;
  return {
    out,
    pairs: inPlan.length,
    rendered: todo.length,
    splits,
    wallSeconds: round(wallS),
    pairsPerSecond: todo.length ? round(todo.length / wallS) : null,
    renderMsPerPair: todo.length ? round(renderMs / todo.length) : null,
    overheadMsPerPair: todo.length ? round(overheadMs / todo.length) : null,
    exported,
  };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

async function main(): Promise<void> {
  // `npm run dataset -w training` runs here in training/; relative paths (--out, --scene) mean
  // what they meant where the user typed the command (npm's INIT_CWD).
  if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  let options: DatasetOptions;
  try {
    options = parseDatasetArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageRequested) {
      console.log(e.message);
      return;
    }
    console.error(`dataset: ${(e as Error).message}`);
    process.exit(2);
  }
  try {
    console.log(JSON.stringify(await runDataset(options), null, 2));
  } catch (e) {
    console.error(`dataset: ${(e as Error).message}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]).endsWith("cli.ts")) await main();
