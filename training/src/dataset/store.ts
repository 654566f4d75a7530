/**
 * The dataset directory on disk:
 *   dataset.json        identity of the dataset (options that change its pixels) + format version
 *   low/<id>.png, high/<id>.png, [<extra>/<id>.png]
 *   manifest.jsonl      one row per finished pair, appended after all its images are in place;
 *                       once every planned pair is done, rewritten in plan order
 *   timings.jsonl       {id, renderMs} per pair: measurements, kept out of the manifest so that a
 *                       dataset is the same bytes however often its job was killed and resumed
 * Writes are atomic (temp file + rename). A row exists only when every image of its pair does;
 * images without a row (a run killed between renames) are orphans, removed on resume.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { CameraPose, RenderVariant } from "../../../engine-demo/src/contracts.ts";
import { FORMAT_VERSION, LEGACY_IDENTITY_KEYS, LEGACY_ROW_KEYS, TIMINGS_FILE, type Split } from "./contract.ts";
import { killPoint, type KillPoint } from "./faults.ts";

export { FORMAT_VERSION } from "./contract.ts";

/** Everything that changes the pixels or the plan, bar the pair count (more pairs extend it). */
export interface DatasetIdentity {
  format: number;
  scene: string;
  seed: number;
  width: number;
  height: number;
  engine: string;
  pathsPerLayout: number;
  /** The demo layout held out as the test split (null for a single-layout glTF scene). */
  testLayout: string | null;
  valFraction: number;
  lowScale: number;
  extras: RenderVariant[];
  /** Randomised worlds (`--scene random` only), and the generator's version. */
  scenes?: number;
  worldVersion?: number;
  /** Whether pairs have geometry masks (absent in datasets made before masks). */
  masks?: boolean;
  /** Whether every pair has a depth map and the sun's direction (`--guides`; absent otherwise and before the option). */
  guides?: boolean;
  /** The low preset's hard shadow map size (`--low-shadows`; absent: low has no shadows). */
  lowShadows?: number;
  /** A scene module's source hash (`--scene scene.ts`): an edited scene is another dataset. */
  sceneModuleSha256?: string;
}

/** Every file of a pair: its variants' images and its mask. */
function filesOf(r: ManifestRow): string[] {
  return [...Object.values(r.files), ...(r.mask ? [r.mask] : []), ...(r.depth ? [r.depth] : [])];
}

export interface ManifestRow {
  id: string;
  scene: string;
  /** The demo layout (or the glTF file's name). Format 1 called it `variant`. */
  layout: string;
  seed: number;
  path: number;
  frame: number;
  camera: CameraPose;
  size: { width: number; height: number };
  lowSize: { width: number; height: number };
  engine: string;
  presets: Record<string, string[]>;
  split: Split;
  files: Record<string, string>;
  /** The geometry mask PNG (white: surfaces, black: background), when rendered with masks. */
  mask?: string;
  /** Clip frames: which clip and where in it (consecutive frames of one test path). */
  clip?: { name: string; index: number };
  /** Clip frames: camera-space depth (raw float32, H x W, metres, 0 = background) and the camera's near/far. */
  depth?: string;
  depthRange?: [number, number];
  /** With --guides: the direction the scene's sun light travels, world space, unit length. */
  sun?: [number, number, number];
  validation: { edgeCorrelation: number; lowStd: number; highStd: number };
  /** Datasets made before timings.jsonl carry the render times here. */
  renderMs?: Record<string, number>;
}

/** A line of timings.jsonl: how long each variant of a pair took to render, in ms. */
export interface PairTimings {
  id: string;
  renderMs: Record<string, number>;
}

export function writeFileAtomic(path: string, data: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fd = openSync(tmp, "w");
  try {
    writeInHalves(fd, typeof data === "string" ? Buffer.from(data) : data, path.endsWith(".png") ? "png-write" : null);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Writes `bytes`, in two halves with the test-only kill point `point` between them (faults.ts). */
function writeInHalves(fd: number, bytes: Buffer, point: KillPoint | null): void {
  writeSync(fd, bytes.subarray(0, bytes.length >> 1));
  if (point) killPoint(point);
  writeSync(fd, bytes.subarray(bytes.length >> 1));
}

function appendSynced(path: string, bytes: Buffer, point: KillPoint | null = null): void {
  const fd = openSync(path, "a");
  try {
    writeInHalves(fd, bytes, point);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class DatasetStore {
  readonly manifestPath: string;

  constructor(readonly dir: string) {
    this.manifestPath = join(dir, "manifest.jsonl");
  }

  /** Creates the dataset, or checks that an existing one is the same dataset (migrating an older format). */
  open(identity: DatasetIdentity): void {
    const idPath = join(this.dir, "dataset.json");
    if (existsSync(idPath)) {
      const existing = this.migrate(
        JSON.parse(readFileSync(idPath, "utf8")) as Record<string, unknown>,
      ) as unknown as DatasetIdentity;
      const diffs = (Object.keys(identity) as Array<keyof DatasetIdentity>).filter(
        (k) => JSON.stringify(existing[k]) !== JSON.stringify(identity[k]),
      );
      if (diffs.length) {
        const detail = diffs
          .map((k) => `${k}: ${JSON.stringify(existing[k])} there, ${JSON.stringify(identity[k])} asked`)
          .join("; ");
        throw new Error(`${this.dir} holds a different dataset (${detail}); choose another --out or remove it`);
      }
      return;
    }
    if (existsSync(this.dir) && readdirSync(this.dir).length > 0) {
      throw new Error(`${this.dir} is not empty and is not a dataset (no dataset.json); choose another --out`);
    }
    writeFileAtomic(idPath, JSON.stringify(identity, null, 2) + "\n");
  }

  /**
   * A dataset of an older format becomes the current one, in place and atomically: keys renamed
   * in dataset.json and in every manifest row (format 1 called the demo layout `variant`).
   */
  private migrate(ident: Record<string, unknown>): Record<string, unknown> {
    if (ident.format === FORMAT_VERSION) return ident;
    const rename = (o: Record<string, unknown>, keys: Record<string, string>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [keys[k] ?? k, v]));
    const migrated = { ...rename(ident, LEGACY_IDENTITY_KEYS), format: FORMAT_VERSION };
    if (existsSync(this.manifestPath)) {
      const rows: string[] = [];
      for (const line of readFileSync(this.manifestPath, "utf8")
        .split("\n")
        .filter((l) => l.trim())) {
        try {
          rows.push(JSON.stringify(rename(JSON.parse(line), LEGACY_ROW_KEYS)) + "\n");
        } catch {
          break; // a torn last line: readManifest cuts it off
        }
      }
      writeFileAtomic(this.manifestPath, rows.join(""));
    }
    writeFileAtomic(join(this.dir, "dataset.json"), JSON.stringify(migrated, null, 2) + "\n");
    return migrated;
  }

  /**
   * Finished rows. A torn last line (a run killed mid-append) is cut off the file; a row whose
   * images are missing is dropped (it will be rendered again).
   */
  readManifest(): ManifestRow[] {
    if (!existsSync(this.manifestPath)) return [];
    const text = readFileSync(this.manifestPath, "utf8");
    const rows: ManifestRow[] = [];
    let goodBytes = 0;
    let offset = 0;
    for (const line of text.split("\n")) {
      const end = offset + Buffer.byteLength(line) + 1;
      if (end > Buffer.byteLength(text)) break; // no newline: torn
      try {
        if (line.trim()) rows.push(JSON.parse(line) as ManifestRow);
        goodBytes = end;
      } catch {
        break;
      }
      offset = end;
    }
    if (goodBytes < Buffer.byteLength(text)) truncateSync(this.manifestPath, goodBytes);
    const complete = rows.filter((r) => filesOf(r).every((f) => existsSync(join(this.dir, f))));
    if (complete.length !== rows.length) this.rewriteManifest(complete);
    return complete;
  }

  private rewriteManifest(rows: ManifestRow[]): void {
    writeFileAtomic(this.manifestPath, rows.map((r) => JSON.stringify(r) + "\n").join(""));
  }

  /** Removes images and temp files that no manifest row refers to. Returns how many. */
  removeOrphans(rows: ManifestRow[], folders: string[]): number {
    const referenced = new Set(rows.flatMap(filesOf));
    let removed = 0;
    for (const folder of folders) {
      const dir = join(this.dir, folder);
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        const rel = `${folder}/${name}`;
        if (!referenced.has(rel)) {
          rmSync(join(dir, name), { force: true });
          removed++;
        }
      }
    }
    for (const name of existsSync(this.dir) ? readdirSync(this.dir) : []) {
      if (name.endsWith(".tmp")) rmSync(join(this.dir, name), { force: true });
    }
    return removed;
  }

  /** Writes every image of a pair, then appends its row: the row is the commit point. Its
   * timings follow (lost with a kill between the two: measurements, not data). */
  commitPair(row: ManifestRow, images: Record<string, Buffer>, timings?: PairTimings): void {
    for (const [rel, bytes] of Object.entries(images)) writeFileAtomic(join(this.dir, rel), bytes);
    appendSynced(this.manifestPath, Buffer.from(JSON.stringify(row) + "\n"), "manifest-append");
    if (timings) appendSynced(join(this.dir, TIMINGS_FILE), Buffer.from(JSON.stringify(timings) + "\n"));
  }

  /** Once every id of `order` has a row: the manifest rewritten in that order (atomically, only
   * when it differs), so a finished dataset's bytes do not depend on which worker finished first
   * or where a run was killed. Returns whether it was complete. */
  finish(rows: ManifestRow[], order: string[]): boolean {
    const byId = new Map(rows.map((r) => [r.id, r]));
    if (!order.every((id) => byId.has(id))) return false;
    const planned = new Set(order);
    const sorted = [...order.map((id) => byId.get(id)!), ...rows.filter((r) => !planned.has(r.id))];
    if (sorted.some((r, i) => r !== rows[i])) this.rewriteManifest(sorted);
    return true;
  }
}
