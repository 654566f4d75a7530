/**
 * Renders planned pairs with parallel workers, one browser page each, and commits each pair
 * (validated, PNG-encoded, written atomically) as soon as it is done.
 */
import type { Browser } from "playwright-core";
import { MASK, type RenderedFrame, type RenderVariant } from "../../../engine-demo/src/contracts.ts";
import { openHarness, type HarnessPage } from "../../../engine-demo/node/browser.ts";
import type { DatasetOptions } from "./options.ts";
import { sceneSourceFor } from "./sceneSources.ts";
import type { PairJob } from "./plan.ts";
import { encodePng } from "./png.ts";
import type { DatasetStore, ManifestRow } from "./store.ts";
import { validatePair, type Image } from "./validate.ts";

/** Folder of the depth maps (the clips', and every pair's with --guides): raw float32 little-endian, H x W, camera-space z in metres, 0 = background. */
export const DEPTH = "depth";

/** The low frame's sun direction (--guides), or an error naming the pair: a scene without a directional light. */
function sunOf(frame: RenderedFrame, id: string): [number, number, number] {
  if (!frame.sunDirection)
    throw new Error(`pair ${id}: --guides records the sun's direction, but the scene has no directional light`);
  return frame.sunDirection.map((v) => round(v)) as [number, number, number];
}

export interface RenderPairsOptions {
  browser: Browser;
  baseUrl: string;
  /** URL prefix (on baseUrl) under which a user's glTF directory is served. */
  userSceneMount: string;
  options: DatasetOptions;
  store: DatasetStore;
  jobs: PairJob[];
  onPair(row: ManifestRow, timing: PairTiming): void;
}

export interface PairTiming {
  renderMs: number;
  overheadMs: number;
}

/** A frame from the harness (base64 RGBA8) as an Image for validation and encoding. */
export function toImage(f: RenderedFrame): Image {
  const buf = Buffer.from(f.rgbaBase64, "base64");
  return { width: f.width, height: f.height, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

/** A page error's message without Playwright's prefix and the browser's stack lines. */
export function browserError(e: Error): string {
  return e.message
    .replace(/^page\.evaluate: (Error: )?/, "")
    .split("\n")
    .filter((l) => !/^\s+at /.test(l))
    .join(" ")
    .trim();
}

export async function renderPairs(r: RenderPairsOptions): Promise<void> {
  const queue = [...r.jobs].sort((a, b) => a.layout.localeCompare(b.layout) || a.path - b.path || a.frame - b.frame);
  const variants: RenderVariant[] = ["low", "high", ...r.options.extras];
  const workers = Math.min(r.options.workers, Math.max(1, queue.length));
  let failure: Error | null = null;

  const work = async (h: HarnessPage) => {
    let layout: string | null = null;
    let presets: Record<string, string[]> = {};
    while (queue.length && !failure) {
      // Prefer a job of the layout this page already has loaded (re-initialising costs seconds).
      const idx = Math.max(
        0,
        queue.findIndex((j) => j.layout === layout),
      );
      const job = queue.splice(idx, 1)[0];
      if (job.layout !== layout) {
        const info = await h
          .init({
            engine: r.options.engine,
            width: r.options.width,
            height: r.options.height,
            source: sceneSourceFor(r.options, job.layout, r.userSceneMount),
            variants,
            mask: r.options.masks,
            depth: r.options.clips > 0 || r.options.guides,
            lowRenderScale: r.options.lowScale !== 1 ? r.options.lowScale : undefined,
            lowShadowMapSize: r.options.lowShadows || undefined,
          })
          .catch((e: Error) => {
            throw new Error(
              `scene ${r.options.scene} (${job.layout}) failed to load in the browser: ${browserError(e)}`,
              {
                cause: e,
              },
            );
          });
        presets = Object.fromEntries(
          Object.entries(info.variants)
            .filter(([k]) => k !== MASK)
            .map(([k, v]) => [k, v.postProcesses]),
        );
        layout = job.layout;
      }
      const frames: Partial<Record<RenderVariant, RenderedFrame>> = {};
      for (const variant of variants) {
        frames[variant] = await h.page.evaluate((q) => window.remasterHarness.renderFrame(q), {
          frame: job.frame,
          path: job.path,
          variant,
        });
      }
      const mask = r.options.masks
        ? await h.page.evaluate((q) => window.remasterHarness.renderFrame(q), {
            frame: job.frame,
            path: job.path,
            variant: MASK,
            withDepth: !!job.clip || r.options.guides,
          })
        : null;
      const t0 = performance.now();
      const low = toImage(frames.low!);
      const high = toImage(frames.high!);
      const check = validatePair(low, high, { lowScale: r.options.lowScale, minAlignment: r.options.minAlignment });
      if (!check.ok) throw new Error(`pair ${job.id} failed validation: ${check.problems.join("; ")}`);
      const images: Record<string, Buffer> = {};
      const files: Record<string, string> = {};
      for (const variant of variants) {
        const rel = `${variant}/${job.id}.png`;
        files[variant] = rel;
        images[rel] = encodePng(variant === "low" ? low : variant === "high" ? high : toImage(frames[variant]!));
      }
      const maskFile = mask ? `${MASK}/${job.id}.png` : undefined;
      if (mask) images[maskFile!] = encodePng(toImage(mask));
      const depthFile = mask?.depthBase64 ? `${DEPTH}/${job.id}.f32` : undefined;
      if (depthFile) images[depthFile] = Buffer.from(mask!.depthBase64!, "base64");
      const row: ManifestRow = {
        id: job.id,
        scene: r.options.scene,
        layout: job.layout,
        seed: r.options.seed,
        path: job.path,
        frame: job.frame,
        camera: frames.high!.pose,
        size: { width: high.width, height: high.height },
        lowSize: { width: low.width, height: low.height },
        engine: r.options.engine,
        presets,
        split: job.split,
        files,
        ...(maskFile ? { mask: maskFile } : {}),
        ...(job.clip ? { clip: job.clip } : {}),
        ...(depthFile ? { depth: depthFile, depthRange: mask!.depthRange } : {}),
        ...(r.options.guides ? { sun: sunOf(frames.low!, job.id) } : {}),
        validation: {
          edgeCorrelation: round(check.edgeCorrelation),
          lowStd: round(check.lowStd),
          highStd: round(check.highStd),
        },
      };
      const renderMsOf = Object.fromEntries(variants.map((v) => [v, round(frames[v]!.renderMs)]));
      r.store.commitPair(row, images, { id: job.id, renderMs: renderMsOf });
      const renderMs = variants.reduce((s, v) => s + frames[v]!.renderMs, 0);
      const pageSideMs = variants.reduce((s, v) => s + frames[v]!.readbackMs, 0);
      r.onPair(row, { renderMs, overheadMs: performance.now() - t0 + pageSideMs });
    }
  };

  const pages = await Promise.all(Array.from({ length: workers }, () => openHarness(r.browser, r.baseUrl)));
  try {
    await Promise.all(
      pages.map((h) =>
        work(h).catch((e: Error) => {
          failure ??= e;
        }),
      ),
    );
    const offsite = pages.flatMap((p) => p.offsiteRequests);
    if (offsite.length)
      throw new Error(`the scene tried to reach the network (blocked): ${offsite.slice(0, 3).join(", ")}`);
    if (failure) throw failure;
  } finally {
    await Promise.all(
      pages.map((p) =>
        p.page
          .context()
          .close()
          .catch(() => undefined),
      ),
    );
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
