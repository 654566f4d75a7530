/**
 * Which frames make the dataset and which split each lands in. Pure and deterministic:
 * the same options always give the same list, and asking for more pairs only appends to it.
 *
 * Splits never share a camera path. With several layouts (the demo scene), one layout is the
 * test split, held out entirely; each other layout keeps round(paths * valFraction) of its
 * paths (at least one when it has two or more) for validation. A single-layout scene (a user's
 * glTF) holds out paths instead: the last ~20% for test, the ~20% before them for validation.
 */
import { DEFAULT_PATH_PERIOD } from "../../../engine-demo/src/cameraPaths.ts";
import { SCENE_FPS } from "../../../engine-demo/src/contracts.ts";
import { createRng, hashSeed } from "../../../engine-demo/src/rng.ts";
import type { Split } from "./contract.ts";

export type { Split } from "./contract.ts";

export interface PairJob {
  id: string;
  layout: string;
  path: number;
  frame: number;
  split: Split;
  /** Frames of a clip (consecutive frames of one test path, for temporal metrics). */
  clip?: { name: string; index: number };
}

export interface PlanOptions {
  layouts: string[];
  /** Layout held out as test; null for single-layout scenes (paths are held out instead). */
  testLayout: string | null;
  /** Splits fixed per layout (whole layouts held out: random worlds, glTF files); wins over the rest. */
  layoutSplits?: Record<string, Split>;
  pathsPerLayout: number;
  valFraction: number;
  seed: number;
  pairs: number;
}

/** Frames in one loop of a camera path. */
export const FRAMES_PER_PATH = DEFAULT_PATH_PERIOD * SCENE_FPS;

export function splitOfPath(o: PlanOptions, layout: string, path: number): Split {
  const fixed = o.layoutSplits?.[layout];
  if (fixed) return fixed;
  if (o.testLayout !== null) {
    if (layout === o.testLayout) return "test";
    const nVal = o.pathsPerLayout >= 2 ? Math.max(1, Math.round(o.pathsPerLayout * o.valFraction)) : 0;
    return valPaths(o, layout, nVal).has(path) ? "val" : "train";
  }
  if (o.pathsPerLayout < 3)
    throw new Error(
      `a single-layout scene needs at least 3 camera paths to split train/val/test; got --paths ${o.pathsPerLayout}`,
    );
  const nTest = Math.max(1, Math.round(o.pathsPerLayout * 0.2));
  const nVal = Math.max(1, Math.round(o.pathsPerLayout * o.valFraction));
  if (path >= o.pathsPerLayout - nTest) return "test";
  if (path >= o.pathsPerLayout - nTest - nVal) return "val";
  return "train";
}

function valPaths(o: PlanOptions, layout: string, n: number): Set<number> {
  // A seeded shuffle picks the validation paths, so they are not always path 0.
  const rng = createRng(hashSeed("val-paths", o.seed, layout));
  const order = Array.from({ length: o.pathsPerLayout }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return new Set(order.slice(0, n));
}

/**
 * The k-th frame sampled on a path: a golden-ratio sequence over one loop, so any prefix of
 * the sequence covers the loop evenly and extending the dataset adds frames in between.
 */
export function frameOnPath(seed: number, layout: string, path: number, k: number): number {
  const offset = createRng(hashSeed("frame-offset", seed, layout, path))();
  const u = (offset + k * 0.6180339887498949) % 1;
  return Math.floor(u * FRAMES_PER_PATH);
}

export function pairId(layout: string, path: number, frame: number): string {
  return `${layout}-p${String(path).padStart(2, "0")}-f${String(frame).padStart(5, "0")}`;
}

/** The first `pairs` jobs, round-robin over (layout, path) so every path is sampled evenly. */
export function planPairs(o: PlanOptions): PairJob[] {
  if (o.layouts.length === 0) throw new Error("no layouts to render");
  const streams: Array<{ layout: string; path: number; split: Split; seen: Set<number>; k: number }> = [];
  // Path-major order: the first few pairs already span every layout (and so every split).
  for (let path = 0; path < o.pathsPerLayout; path++) {
    for (const layout of o.layouts) {
      streams.push({ layout, path, split: splitOfPath(o, layout, path), seen: new Set(), k: 0 });
    }
  }
  const jobs: PairJob[] = [];
  const capacity = streams.length * FRAMES_PER_PATH;
  if (o.pairs > capacity)
    throw new Error(
      `--pairs ${o.pairs} exceeds the ${capacity} distinct frames of ${streams.length} paths; add --paths`,
    );
  for (let round = 0; jobs.length < o.pairs; round++) {
    for (const s of streams) {
      if (jobs.length >= o.pairs) break;
      let frame = frameOnPath(o.seed, s.layout, s.path, s.k++);
      while (s.seen.has(frame)) frame = frameOnPath(o.seed, s.layout, s.path, s.k++);
      s.seen.add(frame);
      jobs.push({ id: pairId(s.layout, s.path, frame), layout: s.layout, path: s.path, frame, split: s.split });
    }
  }
  return jobs;
}

export interface ClipOptions {
  /** Clips to render (0: none). */
  clips: number;
  /** Consecutive frames per clip. */
  clipLength: number;
}

/**
 * Clips for temporal metrics: clip k is `clipLength` consecutive frames of the k-th (layout, path)
 * of the test split (round-robin, path-major), from a seeded start. Test split only: a clip is
 * held-out material like every test frame.
 */
export function planClips(o: PlanOptions, c: ClipOptions): PairJob[] {
  if (c.clips <= 0) return [];
  if (c.clipLength < 2 || c.clipLength > FRAMES_PER_PATH) {
    throw new Error(`--clip-length must be in [2, ${FRAMES_PER_PATH}]; got ${c.clipLength}`);
  }
  const streams: Array<{ layout: string; path: number }> = [];
  for (let path = 0; path < o.pathsPerLayout; path++) {
    for (const layout of o.layouts) if (splitOfPath(o, layout, path) === "test") streams.push({ layout, path });
  }
  if (!streams.length) throw new Error("--clips: the test split has no camera path to take clips from");
  const jobs: PairJob[] = [];
  for (let k = 0; k < c.clips; k++) {
    const { layout, path } = streams[k % streams.length];
    const start = Math.floor(createRng(hashSeed("clip", o.seed, k))() * (FRAMES_PER_PATH - c.clipLength));
    const name = `clip${String(k).padStart(2, "0")}`;
    for (let i = 0; i < c.clipLength; i++) {
      const frame = start + i;
      jobs.push({
        id: `${name}-${pairId(layout, path, frame)}`,
        layout,
        path,
        frame,
        split: "test",
        clip: { name, index: i },
      });
    }
  }
  return jobs;
}
