/**
 * The soak schedule and its driver (the verdicts: bench/soakFigures.ts), shared by `npm run bench:soak` (bench/soak.ts: 10,000 frames)
 * and the short version in `npm test` (test/browser/soak.test.ts: a few hundred).
 * Drives engine-demo's soak.html (window.remasterSoak) from Node: frames in chunks, events at
 * planned frames (resizes, enable/disable toggles, a model swap, device/context losses in a row,
 * a dispose during a running inference followed by a new effect), and every `sampleEvery` frames,
 * once the effect has settled, a sample: JS heap after a forced GC (CDP), live GPU objects,
 * onnxruntime sessions, inferences, frames passed through.
 * Resizes and toggles come in even numbers between samples, so every sample sees the same state
 * (base size, enabled): its GPU object counts must then be equal.
 */
import type { CDPSession, Page } from "playwright-core";
import type { SoakState } from "../engine-demo/src/soak-page.ts";
import { takeHeapBySource, type HeapBySource } from "./heapSnapshot.ts";

export interface SoakPlan {
  /** false: the control run, the same schedule on the page with no RemasterPostProcess (soak.html's
   * `effect=off`: a game without the plugin), so that what the heap does with the effect can be
   * told from what Babylon and V8 do anyway (`controlPlan`). Runs stored before 2026-12-07 lack it: on. */
  effect?: boolean;
  frames: number;
  sampleEvery: number;
  /** Every n-th frame is read back and checked for black. */
  checkEvery: number;
  resizes: number;
  toggles: number;
  /** The base size and the one resizes alternate with. */
  sizes: [number, number];
  /** Frames of the one-off faults (-1: not in this plan). */
  swapAt: number;
  lossesAt: number;
  losses: number;
  disposeAt: number;
  /** URL (on the page's server) of the model the swap loads. */
  swapModel: string;
  /** How long the effect may take to run again after a fault or a resize before it counts as not recovered. */
  recoverSeconds: number;
  /** A heap snapshot at every sample, summed by source (bench/heapSnapshot.ts): what grows. */
  heapSnapshots: boolean;
  /** A heap sample (after a forced GC; by source with heapSnapshots) just before the first loss and
   * after each loss's recovery: what one more loss leaves on the heap (`SoakResult.lossSamples`). */
  sampleEachLoss: boolean;
}

export const FULL_PLAN: SoakPlan = {
  effect: true,
  frames: 10_000,
  sampleEvery: 500,
  checkEvery: 10,
  resizes: 100,
  toggles: 200,
  sizes: [64, 96],
  swapAt: 5_000,
  lossesAt: 2_500,
  losses: 10,
  disposeAt: 7_500,
  swapModel: "/models/swap.onnx",
  recoverSeconds: 180,
  heapSnapshots: true,
  sampleEachLoss: true,
};

export const SHORT_PLAN: SoakPlan = {
  effect: true,
  frames: 400,
  sampleEvery: 100,
  checkEvery: 5,
  resizes: 8,
  toggles: 16,
  sizes: [64, 96],
  swapAt: 200,
  lossesAt: 100,
  losses: 2,
  disposeAt: 300,
  swapModel: "/models/swap.onnx",
  recoverSeconds: 180,
  heapSnapshots: false,
  sampleEachLoss: false,
};

/** The control of `plan`: the same frames, resizes, toggles (which then do nothing) and losses on a
 * page without the effect; no model to swap or dispose. */
export function controlPlan(plan: SoakPlan): SoakPlan {
  return { ...plan, effect: false, swapAt: -1, disposeAt: -1 };
}

/** `base` stretched or shrunk to `frames` frames: resizes and toggles in proportion (even numbers,
 * so every sample sees the base size, enabled), the one-off faults at the same fractions of the run,
 * `losses` losses in a row (base's count by default). */
export function scalePlan(base: SoakPlan, frames: number, losses = base.losses): SoakPlan {
  const k = frames / base.frames;
  return {
    ...base,
    frames,
    resizes: 2 * Math.round((base.resizes * k) / 2),
    toggles: 2 * Math.round((base.toggles * k) / 2),
    swapAt: base.swapAt < 0 ? -1 : Math.round(base.swapAt * k),
    lossesAt: base.lossesAt < 0 ? -1 : Math.round(base.lossesAt * k),
    disposeAt: base.disposeAt < 0 ? -1 : Math.round(base.disposeAt * k),
    losses,
    sampleEvery: Math.min(base.sampleEvery, Math.max(100, Math.round(frames / 10 / 100) * 100)),
  };
}

export interface SoakSample {
  frame: number;
  /** The device (WebGPU) or context life (WebGL2) the GPU counts belong to: +1 per loss. */
  generation: number;
  heapMb: number;
  /** The same heap by source, from a snapshot (plans with heapSnapshots). */
  heapBySource?: HeapBySource;
  buffersLive: number;
  texturesLive: number;
  /** Of the live ones, those held only by render targets Babylon's post-processes keep cached for
   * another size (freed after 100 of their frames: engine-demo/src/postProcessCaches.ts); runs
   * before 2026-12-07 lack them. */
  buffersIdleCached?: number;
  texturesIdleCached?: number;
  buffersCreated: number;
  buffersDestroyed: number;
  texturesCreated: number;
  texturesDestroyed: number;
  sessionsOpen: number;
  inferences: number;
  framesRendered: number;
  passedThrough: number;
  errors: number;
  /** The plugin's onnxruntime call queue so far: its longest call, and calls still running after 10 s. */
  queueLongestMs: number;
  queueSlowCalls: number;
  /** WebGPU: the bind groups Babylon's bind group cache holds (it is reset at a device loss; runs
   * before 2026-12-07 lack it). */
  bindGroupsCached?: number;
  /** WebGPU: how many textures that cache is keyed by Babylon has released (their entries can never be
   * looked up again: the cache's leak; runs before 2026-12-07 lack it). */
  releasedTexturesCached?: number;
}

/** The heap after a forced GC just before the losses (`loss` 0) and after the `loss`-th recovered. */
export interface LossSample {
  loss: number;
  heapMb: number;
  heapBySource?: HeapBySource;
}

export interface FaultRecord {
  kind: "device-loss" | "context-loss" | "model-swap" | "dispose-in-flight";
  atFrame: number;
  /** Errors the effect reported for it (a loss: exactly 1; a swap or dispose: 0). */
  reported: number;
  recovered: boolean;
  seconds: number;
  note?: string;
}

export interface SoakResult {
  engine: string;
  plan: SoakPlan;
  samples: SoakSample[];
  /** Plans with sampleEachLoss (runs before 2026-11-25 have none). */
  lossSamples?: LossSample[];
  faults: FaultRecord[];
  resizes: number;
  toggles: number;
  framesChecked: number;
  blackFrames: number;
  framesFailed: string[];
  errors: string[];
  seconds: number;
}

/** A run's result before anything has happened (runSoak fills it; the figures' tests build on it). */
export function emptySoakResult(engine: string, plan: SoakPlan): SoakResult {
  return {
    engine,
    plan,
    samples: [],
    faults: [],
    resizes: 0,
    toggles: 0,
    framesChecked: 0,
    blackFrames: 0,
    framesFailed: [],
    errors: [],
    seconds: 0,
  };
}

/** The heap in one phrase, for the log. */
function heapSummary(heapMb: number, bySource?: HeapBySource): string {
  return `heap ${heapMb.toFixed(2)} MB${bySource ? ` (snapshot: page ${bySource.pageKb.toFixed(0)} KB, timeline ${bySource.timelineKb.toFixed(0)}, code ${bySource.codeKb.toFixed(0)}, devtools ${bySource.devtoolsKb.toFixed(0)})` : ""}`;
}

type Event = "resize" | "toggle" | "swap" | "losses" | "dispose";

/** The plugin's onnxruntime call queue in one phrase, for the log. */
function queueSummary(q: SoakState["queue"]): string {
  const last = q.slow.at(-1);
  return `onnxruntime calls ${q.calls} (longest ${(q.longestMs / 1000).toFixed(1)} s, ${q.slowCalls} over 10 s${last ? `, the last: ${last.call} at ${(last.atMs / 1000).toFixed(1)} s` : ""})`;
}

/** Frame -> events: resizes and toggles spread evenly, in even numbers per sample interval. */
export function schedule(p: SoakPlan): Map<number, Event[]> {
  const at = new Map<number, Event[]>();
  const add = (f: number, e: Event) => at.set(f, [...(at.get(f) ?? []), e]);
  const intervals = Math.floor(p.frames / p.sampleEvery);
  const spread = (total: number, e: Event) => {
    // Even counts per interval summing to `total` (e.g. 100 over 20: 4, 6, 4, 6, ...).
    const base = 2 * Math.floor(total / intervals / 2);
    let left = total - base * intervals;
    for (let i = 0; i < intervals; i++) {
      const n = base + (left >= 2 ? 2 : 0);
      left -= n - base;
      for (let k = 0; k < n; k++) add(i * p.sampleEvery + Math.round(((k + 1) * p.sampleEvery) / (n + 1)), e);
    }
  };
  spread(p.resizes, "resize");
  spread(p.toggles, "toggle");
  if (p.swapAt >= 0) add(p.swapAt + Math.round(p.sampleEvery / 3), "swap");
  if (p.lossesAt >= 0 && p.losses > 0) add(p.lossesAt + Math.round(p.sampleEvery / 3), "losses");
  if (p.disposeAt >= 0) add(p.disposeAt + Math.round(p.sampleEvery / 3), "dispose");
  return at;
}

const call = <T>(page: Page, fn: string, arg?: unknown) =>
  page.evaluate(([f, a]) => (window.remasterSoak as unknown as Record<string, (x: unknown) => unknown>)[f](a), [
    fn,
    arg,
  ] as const) as Promise<T>;

/** Opens soak.html at `url` and waits until it is ready; an error naming `what` when it fails. */
export async function openSoakPage(page: Page, url: string, what = "soak page"): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === "true" || document.body.dataset.error, null, {
    timeout: 120_000,
  });
  const error = await page.evaluate(() => document.body.dataset.error);
  if (error) throw new Error(`${what} failed: ${error}`);
}

/** Lets the running inference end, 30 s at most (no frame is rendered meanwhile, so no new one
 * starts: its transient objects, e.g. WebGL's pixel-pack buffer, are gone). */
export async function waitForInferenceToEnd(page: Page): Promise<void> {
  for (let i = 0; i < 1500 && (await call<SoakState>(page, "state")).inferenceRunning; i++)
    await new Promise((r) => setTimeout(r, 20));
}

/** `waitForInferenceToEnd`, then a forced GC. */
export async function settleAndCollectGarbage(page: Page, cdp: CDPSession): Promise<void> {
  await waitForInferenceToEnd(page);
  await cdp.send("HeapProfiler.collectGarbage");
}

export async function runSoak(page: Page, plan: SoakPlan, log: (m: string) => void = () => {}): Promise<SoakResult> {
  const t0 = Date.now();
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const events = schedule(plan);
  const result = emptySoakResult(new URL(page.url()).searchParams.get("engine") ?? "webgl2", plan);
  const state = () => call<SoakState>(page, "state");
  const frames = async (n: number) => {
    const r = await call<{ checked: number; black: number; failed: string[] }>(page, "frames", {
      n,
      checkEvery: plan.checkEvery,
    });
    result.framesChecked += r.checked;
    result.blackFrames += r.black;
    result.framesFailed.push(...r.failed);
  };
  /** Renders frames until `ok(state)` holds (or `limitS` seconds pass); returns whether it held. */
  const until = async (ok: (s: SoakState) => boolean, limitS = 180) => {
    const end = Date.now() + limitS * 1000;
    while (Date.now() < end) {
      if (ok(await state())) return true;
      await frames(5);
    }
    return ok(await state());
  };
  const withEffect = plan.effect !== false;
  /** The effect runs again: on a backend, at the current size, with new inferences (the control,
   * with no effect: the page renders again on a live context or device). */
  const running = async (limitS = plan.recoverSeconds) => {
    const s0 = await state();
    if (!withEffect) return until((s) => !s.contextLost && s.pageFrames >= s0.pageFrames + 2, limitS);
    return until((s) => s.backend !== "none" && s.inputWidth === s.size && s.inferences >= s0.inferences + 2, limitS);
  };
  const fault = async (kind: FaultRecord["kind"], at: number, act: () => Promise<string | void>) => {
    if (!enabled) await call(page, "setEnabled", true); // recovery shows in inferences: run while checking
    const e0 = (await state()).errors.length;
    const t = Date.now();
    const note = await act();
    const recovered = await running();
    if (!enabled) await call(page, "setEnabled", false);
    const after = await state();
    const reported = after.errors.length - e0;
    result.faults.push({
      kind,
      atFrame: at,
      reported,
      recovered,
      seconds: (Date.now() - t) / 1000,
      ...(note ? { note } : {}),
    });
    log(
      `${kind} at frame ${at}: reported ${reported}, recovered ${recovered} in ${((Date.now() - t) / 1000).toFixed(1)} s${recovered && reported <= 1 ? "" : `; errors: ${after.errors.slice(e0).join(" | ")}; ${queueSummary(after.queue)}`}`,
    );
  };

  /** The JS heap after a forced GC (and by source, with heapSnapshots), the effect quiescent. */
  const heapAfterGc = async () => {
    await settleAndCollectGarbage(page, cdp);
    const heap = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number };
    const bySource = plan.heapSnapshots ? await takeHeapBySource(cdp) : undefined;
    return { heapMb: heap.usedSize / 2 ** 20, bySource };
  };
  const lossSample = async (loss: number) => {
    const { heapMb, bySource } = await heapAfterGc();
    (result.lossSamples ??= []).push({ loss, heapMb, ...(bySource ? { heapBySource: bySource } : {}) });
    log(`after loss ${loss}: ${heapSummary(heapMb, bySource)}`);
  };

  const pageHasEffect = (await state()).backend !== "off";
  if (pageHasEffect !== withEffect)
    throw new Error(
      `soak: the plan is ${withEffect ? "with the effect" : "the control (no effect)"} but the page ${pageHasEffect ? "has an effect" : "has none (effect=off)"}; open soak.html ${withEffect ? "without" : "with"} effect=off`,
    );
  let size = plan.sizes[0];
  let enabled = true;
  // Errors from here on are this run's (a page can run a plan more than once: a warm-up), those
  // of its first start included, as when the page ran one plan.
  const errorsBefore = (await state()).errors.length;
  await running(300);
  for (let f = 0; f <= plan.frames; f++) {
    if (f % plan.sampleEvery === 0) {
      if (!(await running())) {
        const s = await state(); // what a stall looks like, for whoever chases it
        log(
          `frame ${f}: the effect did not settle (backend ${s.backend}, enabled ${s.enabled}, input ${s.inputWidth} for size ${s.size}, inference running ${s.inferenceRunning}, context lost ${s.contextLost}, ${s.errors.length} errors${s.errors.length ? `, last: ${s.errors.at(-1)} at ${((s.errorTimesMs.at(-1) ?? 0) / 1000).toFixed(1)} s` : ""}; ${queueSummary(s.queue)})`,
        );
      }
      const { heapMb, bySource } = await heapAfterGc();
      const s = await state();
      result.samples.push({
        frame: f,
        generation: s.gpu.buffers.generation,
        heapMb,
        ...(bySource ? { heapBySource: bySource } : {}),
        buffersLive: s.gpu.buffers.live,
        texturesLive: s.gpu.textures.live,
        buffersIdleCached: s.gpu.idleCached.buffers,
        texturesIdleCached: s.gpu.idleCached.textures,
        buffersCreated: s.gpu.buffers.created,
        buffersDestroyed: s.gpu.buffers.destroyed,
        texturesCreated: s.gpu.textures.created,
        texturesDestroyed: s.gpu.textures.destroyed,
        sessionsOpen: s.sessions.open,
        inferences: s.inferences,
        framesRendered: s.frames,
        passedThrough: s.passedThrough,
        errors: s.errors.length,
        queueLongestMs: s.queue.longestMs,
        queueSlowCalls: s.queue.slowCalls,
        ...(s.bindGroupCache
          ? {
              bindGroupsCached: s.bindGroupCache.bindGroups,
              releasedTexturesCached: s.bindGroupCache.releasedTextures,
            }
          : {}),
      });
      log(
        `frame ${f}/${plan.frames}: ${heapSummary(heapMb, bySource)}, live GPU objects ${s.gpu.buffers.live} buffers + ${s.gpu.textures.live} textures${s.gpu.idleCached.buffers + s.gpu.idleCached.textures ? ` (of them ${s.gpu.idleCached.buffers} + ${s.gpu.idleCached.textures} in post-processes' caches for another size)` : ""}, sessions open ${s.sessions.open}, inferences ${s.inferences}, ${queueSummary(s.queue)}${s.bindGroupCache ? `, bind groups cached ${s.bindGroupCache.bindGroups} (keyed by ${s.bindGroupCache.releasedTextures} released textures)` : ""}`,
      );
    }
    for (const e of events.get(f) ?? []) {
      if (e === "resize") {
        size = size === plan.sizes[0] ? plan.sizes[1] : plan.sizes[0];
        await call(page, "resize", size);
        result.resizes++;
      } else if (e === "toggle") {
        enabled = !enabled;
        await call(page, "setEnabled", enabled);
        result.toggles++;
      } else if (e === "swap") {
        await fault("model-swap", f, () => call(page, "swapModel", plan.swapModel));
      } else if (e === "dispose") {
        await fault("dispose-in-flight", f, async () => {
          const r = await call<{ inFlight: boolean }>(page, "disposeInFlight");
          return r.inFlight ? "an inference was running" : "no inference was running at the dispose";
        });
      } else if (e === "losses") {
        const lossKind = result.engine === "webgpu" ? "device-loss" : "context-loss";
        if (plan.sampleEachLoss) await lossSample(0);
        for (let i = 0; i < plan.losses; i++) {
          await fault(lossKind, f, async () => {
            const s0 = await state();
            await call(page, "loseDevice");
            // With the effect, its report; without it (the control), Babylon's lost event.
            await until(
              (s) =>
                withEffect
                  ? s.errors.length > s0.errors.length && (lossKind === "device-loss" || s.contextLost)
                  : s.lossesSeen > s0.lossesSeen,
              60,
            );
            if (lossKind === "context-loss") await call(page, "restoreContext");
          });
          if (plan.sampleEachLoss) await lossSample(i + 1);
        }
      }
    }
    if (f < plan.frames) {
      const next = Math.min(
        plan.frames,
        (Math.floor(f / plan.sampleEvery) + 1) * plan.sampleEvery,
        ...[...events.keys()].filter((k) => k > f),
      );
      await frames(next - f);
      f = next - 1;
    }
  }
  result.errors = (await state()).errors.slice(errorsBefore);
  result.seconds = (Date.now() - t0) / 1000;
  await cdp.detach();
  return result;
}
