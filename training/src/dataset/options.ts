/**
 * Dataset renderer options: one typed block of defaults, parsed from argv, validated with
 * errors that name the option. Pure (no I/O besides checking that a glTF file or folder exists).
 */
import {
  assertFrameSize,
  EXTRA_VARIANTS,
  LOW_SHADOW_MAP_SIZES,
  type EngineKind,
  type RenderVariant,
} from "../../../engine-demo/src/contracts.ts";
import { DEMO_SCENE_NAME, DEMO_LAYOUTS } from "../../../engine-demo/src/layouts.ts";
import { checkScene, RANDOM_SCENE_NAME, sceneKind } from "./sceneSources.ts";

export interface DatasetOptions {
  /** "courtyard" (the demo scene), "random" (randomised worlds), a .glb/.gltf file or a folder of them, or a scene module (.ts/.js). */
  scene: string;
  /** Randomised worlds in the dataset (`--scene random`). */
  scenes: number;
  /** Number of pairs to have in the dataset (rerunning with more extends it). */
  pairs: number;
  width: number;
  height: number;
  out: string;
  seed: number;
  workers: number;
  engine: EngineKind;
  /** Camera paths per layout. */
  pathsPerLayout: number;
  /** Demo layout held out entirely as the test split. */
  testLayout: string;
  /** Fraction of each training layout's paths kept for validation. */
  valFraction: number;
  /** Fraction of the output size `low` is rendered at (1 = same size as high). */
  lowScale: number;
  /** Low keeps a hard shadow map of this size (0: none, the default low; see engine-demo/src/quality.ts). */
  lowShadows: number;
  /** Extra baseline renders per pair: low_fxaa_sharpen, low_fsr1. */
  extras: RenderVariant[];
  /** Minimum edge-map correlation between low and high for a pair to count as aligned. */
  minAlignment: number;
  /** Also write the img2img-turbo folders and columns/ files (other tools; the trainer reads manifest.jsonl). */
  exportLayouts: boolean;
  /** Render a geometry mask per pair (mask/<id>.png) for object-pixel evaluation. */
  masks: boolean;
  /** Clips of consecutive test frames with depth, for temporal metrics (0: none). */
  clips: number;
  clipLength: number;
  /** Per pair, what a game has beside its frame: the depth map (depth/<id>.f32, not only the clips')
   *  and the main light's direction (the row's `sun`); inputs for models with guides. */
  guides: boolean;
  quiet: boolean;
}

export const DEFAULTS: DatasetOptions = {
  scene: DEMO_SCENE_NAME,
  scenes: 40,
  pairs: 200,
  width: 512,
  height: 512,
  out: "data/courtyard",
  seed: 1,
  workers: 2,
  engine: "webgl2",
  pathsPerLayout: 5,
  testLayout: DEMO_LAYOUTS[DEMO_LAYOUTS.length - 1],
  valFraction: 0.2,
  lowScale: 1,
  lowShadows: 0,
  extras: [],
  minAlignment: 0.35,
  exportLayouts: true,
  masks: true,
  clips: 0,
  clipLength: 16,
  guides: false,
  quiet: false,
};

export const USAGE = `Usage: npm run dataset -- [options]
  --scene NAME|PATH     "${DEMO_SCENE_NAME}" (the demo scene, default), "${RANDOM_SCENE_NAME}" (randomised worlds),
                        a .glb/.gltf file, or a folder of them (each file a layout; whole files held out),
                        or your game's scene module, a .ts/.js file (see engine-demo/src/sceneModule.ts)
  --scenes N            randomised worlds with --scene ${RANDOM_SCENE_NAME} (default ${DEFAULTS.scenes}; whole worlds held out)
  --pairs N             pairs in the dataset (default ${DEFAULTS.pairs}); rerun with more to extend
  --size N | WxH        output size, multiples of 8 (default ${DEFAULTS.width})
  --out DIR             output directory (default ${DEFAULTS.out})
  --seed N              scene and camera seed (default ${DEFAULTS.seed})
  --workers N           parallel browser pages (default ${DEFAULTS.workers})
  --engine webgl2|webgpu  Babylon engine (default ${DEFAULTS.engine})
  --paths N             camera paths per layout (default ${DEFAULTS.pathsPerLayout})
  --test-layout NAME    demo layout held out as the test split (default ${DEFAULTS.testLayout})
  --val-fraction F      share of each layout's paths used for validation (default ${DEFAULTS.valFraction})
  --low-scale F         render low at this fraction of the size, e.g. 0.5 (default 1)
  --low-shadows N       low keeps a hard, unfiltered N x N shadow map (${LOW_SHADOW_MAP_SIZES.join(", ")}), as many
                        games' lowest shadow setting does (default 0: low has no shadows)
  --extras LIST         extra baselines per pair: low_fxaa_sharpen,low_fsr1 (low_fsr1 needs webgpu)
  --min-alignment F     edge correlation a pair needs to pass validation (default ${DEFAULTS.minAlignment})
  --clips N             also N clips of consecutive test frames with depth, for temporal metrics
                        (tLP, warping error; default 0)
  --clip-length N       frames per clip (default ${DEFAULTS.clipLength})
  --guides              per pair also what a game has beside its frame: camera-space depth
                        (depth/<id>.f32; the clips always have it) and the sun's direction (the
                        row's "sun"), for models that take them as inputs (training guides=...)
  --no-masks            no geometry mask per pair (mask/<id>.png: surfaces white, background black)
  --no-export           skip the img2img-turbo folders and columns/ files (other tools' layouts;
                        the trainer and evaluator read manifest.jsonl either way)
  --quiet               no progress bar`;

/** Flags renamed since: using one is an error naming its successor. */
const RENAMED_FLAGS: Record<string, string> = { "--test-variant": "--test-layout" };

const FLAGS: Record<string, keyof DatasetOptions> = {
  "--scene": "scene",
  "--scenes": "scenes",
  "--clips": "clips",
  "--clip-length": "clipLength",
  "--pairs": "pairs",
  "--out": "out",
  "--seed": "seed",
  "--workers": "workers",
  "--engine": "engine",
  "--paths": "pathsPerLayout",
  "--test-layout": "testLayout",
  "--val-fraction": "valFraction",
  "--low-scale": "lowScale",
  "--low-shadows": "lowShadows",
  "--extras": "extras",
  "--min-alignment": "minAlignment",
};

function parseNumber(
  flag: string,
  raw: string | undefined,
  { integer = false, min = -Infinity, max = Infinity } = {},
): number {
  if (raw === undefined || raw.startsWith("--")) throw new Error(`${flag} needs a value`);
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new Error(`${flag} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}]; got "${raw}"`);
  }
  return v;
}

export function parseDatasetArgs(argv: string[]): DatasetOptions {
  const o: DatasetOptions = { ...DEFAULTS, extras: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = argv[i + 1];
    if (flag === "--help" || flag === "-h") throw new UsageRequested();
    if (flag === "--no-masks") {
      o.masks = false;
      continue;
    }
    if (flag === "--no-export") {
      o.exportLayouts = false;
      continue;
    }
    if (flag === "--quiet") {
      o.quiet = true;
      continue;
    }
    if (flag === "--guides") {
      o.guides = true;
      continue;
    }
    if (flag === "--size") {
      if (next === undefined) throw new Error("--size needs a value");
      const m = /^(\d+)(?:x(\d+))?$/.exec(next);
      if (!m) throw new Error(`--size must be N or WxH (e.g. 512 or 640x360); got "${next}"`);
      o.width = Number(m[1]);
      o.height = Number(m[2] ?? m[1]);
      assertFrameSize("--size width", o.width);
      assertFrameSize("--size height", o.height);
      i++;
      continue;
    }
    if (RENAMED_FLAGS[flag])
      throw new Error(
        `${flag} is now ${RENAMED_FLAGS[flag]} (a demo "layout"; "variant" means a render variant such as low or high)`,
      );
    const key = FLAGS[flag];
    if (!key) throw new Error(`unknown option "${flag}"\n${USAGE}`);
    i++;
    switch (key) {
      case "pairs":
        o.pairs = parseNumber(flag, next, { integer: true, min: 1 });
        break;
      case "clips":
        o.clips = parseNumber(flag, next, { integer: true, min: 0, max: 1000 });
        break;
      case "clipLength":
        o.clipLength = parseNumber(flag, next, { integer: true, min: 2, max: 720 });
        break;
      case "scenes":
        o.scenes = parseNumber(flag, next, { integer: true, min: 1, max: 10000 });
        break;
      case "seed":
        o.seed = parseNumber(flag, next, { integer: true, min: 0, max: 2 ** 31 });
        break;
      case "workers":
        o.workers = parseNumber(flag, next, { integer: true, min: 1, max: 16 });
        break;
      case "pathsPerLayout":
        o.pathsPerLayout = parseNumber(flag, next, { integer: true, min: 1, max: 1000 });
        break;
      case "valFraction":
        o.valFraction = parseNumber(flag, next, { min: 0, max: 0.9 });
        break;
      case "lowScale":
        o.lowScale = parseNumber(flag, next, { min: 0.125, max: 1 });
        break;
      case "lowShadows":
        o.lowShadows = parseNumber(flag, next, { integer: true, min: 0 });
        break;
      case "minAlignment":
        o.minAlignment = parseNumber(flag, next, { min: -1, max: 1 });
        break;
      case "engine":
        if (next !== "webgl2" && next !== "webgpu") throw new Error(`--engine must be webgl2 or webgpu; got "${next}"`);
        o.engine = next;
        break;
      case "extras": {
        const list = (next ?? "").split(",").filter(Boolean);
        for (const e of list) {
          if (!EXTRA_VARIANTS.includes(e as RenderVariant))
            throw new Error(`--extras: unknown baseline "${e}"; expected ${EXTRA_VARIANTS.join(", ")}`);
        }
        o.extras = list as RenderVariant[];
        break;
      }
      case "scene":
      case "out":
      case "testLayout":
        if (next === undefined || next.startsWith("--")) throw new Error(`${flag} needs a value`);
        o[key] = next;
        break;
    }
  }
  return validateOptions(o);
}

export class UsageRequested extends Error {
  constructor() {
    super(USAGE);
  }
}

export function validateOptions(o: DatasetOptions): DatasetOptions {
  assertFrameSize("width", o.width);
  assertFrameSize("height", o.height);
  checkScene(o);
  if (o.clips > 0 && !o.masks) throw new Error("--clips needs masks (their pass renders the depth): drop --no-masks");
  if (o.guides && !o.masks) throw new Error("--guides needs masks (their pass renders the depth): drop --no-masks");
  if (o.lowScale !== 1) {
    for (const [name, v] of [
      ["width", o.width],
      ["height", o.height],
    ] as const) {
      const scaled = v * o.lowScale;
      if (!Number.isInteger(scaled) || scaled % 8 !== 0) {
        throw new Error(`--low-scale ${o.lowScale}: the low frame's ${name} ${scaled} must be a whole multiple of 8`);
      }
    }
  }
  if (o.lowShadows !== 0 && !LOW_SHADOW_MAP_SIZES.includes(o.lowShadows))
    throw new Error(`--low-shadows must be 0 or one of ${LOW_SHADOW_MAP_SIZES.join(", ")}; got ${o.lowShadows}`);
  if (o.lowShadows && sceneKind(o.scene) === "module")
    throw new Error("--low-shadows: a scene module's applyQuality decides its own low (its shadows included)");
  if (o.extras.length && sceneKind(o.scene) === "module") {
    throw new Error("--extras: the baselines are built on the demo's own presets; a scene module has its own low/high");
  }
  if (o.extras.includes("low_fsr1") && o.engine !== "webgpu") {
    throw new Error("--extras low_fsr1 needs --engine webgpu (Babylon's FSR1 shaders exist in WGSL only)");
  }
  return o;
}
