/**
 * The soak's driver (the plans: bench/soakPlan.ts; what it records: bench/soakResult.ts; the
 * verdicts: bench/soakFigures.ts), shared by `npm run bench:soak` (bench/soak.ts) and the short
 * version in `npm test` (test/browser/soak.test.ts).
 * Drives engine-demo's soak.html (window.remasterSoak) from Node: frames in chunks, events at
 * planned frames (resizes, enable/disable toggles, a model swap, device/context losses in a row,
 * a dispose during a running inference followed by a new effect), and every `sampleEvery` frames,
 * once the effect has settled, a sample: JS heap after a forced GC (CDP), live GPU objects,
 * onnxruntime sessions, inferences, frames passed through.
 */
import type { CDPSession, Page } from "playwright-core";
import type { SoakState } from "../engine-demo/src/soak-page.ts";
import { takeHeapBySource, type HeapBySource } from "./heapSnapshot.ts";
import { schedule, type SoakPlan } from "./soakPlan.ts";
import { emptySoakResult, type FaultRecord, type SoakResult, type SoakSample } from "./soakResult.ts";

/** The heap in one phrase, for the log. */
function heapSummary(heapMb: number, bySource?: HeapBySource): string {
  return `heap ${heapMb.toFixed(2)} MB${bySource ? ` (snapshot: page ${bySource.pageKb.toFixed(0)} KB, timeline ${bySource.timelineKb.toFixed(0)}, code ${bySource.codeKb.toFixed(0)}, devtools ${bySource.devtoolsKb.toFixed(0)})` : ""}`;
}

/** The plugin's onnxruntime call queue in one phrase, for the log. */
function queueSummary(q: SoakState["queue"]): string {
  const last = q.slow.at(-1);
  return `onnxruntime calls ${q.calls} (longest ${(q.longestMs / 1000).toFixed(1)} s, ${q.slowCalls} over 10 s${last ? `, the last: ${last.call} at ${(last.atMs / 1000).toFixed(1)} s` : ""})`;
}

/** The sample at frame `frame`: the heap after a forced GC and the page's state, the effect quiescent. */
function sampleOf(frame: number, heapMb: number, bySource: HeapBySource | undefined, s: SoakState): SoakSample {
  return {
    frame,
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
      ? { bindGroupsCached: s.bindGroupCache.bindGroups, releasedTexturesCached: s.bindGroupCache.releasedTextures }
      : {}),
  };
}

/** A sample in one line, for the log. */
function sampleLine(heapMb: number, bySource: HeapBySource | undefined, s: SoakState): string {
  const cached = s.gpu.idleCached;
  return `${heapSummary(heapMb, bySource)}, live GPU objects ${s.gpu.buffers.live} buffers + ${s.gpu.textures.live} textures${cached.buffers + cached.textures ? ` (of them ${cached.buffers} + ${cached.textures} in post-processes' caches for another size)` : ""}, sessions open ${s.sessions.open}, inferences ${s.inferences}, ${queueSummary(s.queue)}${s.bindGroupCache ? `, bind groups cached ${s.bindGroupCache.bindGroups} (keyed by ${s.bindGroupCache.releasedTextures} released textures)` : ""}`;
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
      result.samples.push(sampleOf(f, heapMb, bySource, s));
      log(`frame ${f}/${plan.frames}: ${sampleLine(heapMb, bySource, s)}`);
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
