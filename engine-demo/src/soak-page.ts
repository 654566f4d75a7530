/**
 * soak.html: the plugin over a long run, for `npm run bench:soak` (bench/soak.ts) and its short
 * version in `npm test` (test/browser/soak.test.ts); the schedule lives in bench/soakPlan.ts.
 * Frames are driven from here, one scene.render() per frame between beginFrame/endFrame (no
 * requestAnimationFrame: headless pages throttle it), yielding to the event loop after each so
 * that inference (asynchronous, never awaited by the frame) progresses as in a game.
 * Query: engine=webgl2|webgpu, size=N, effect=off (the control: the same page and scene with no
 * RemasterPostProcess, a game without the plugin; toggles do nothing, there is no model to swap or
 * dispose). API: window.remasterSoak (SoakApi below).
 */
import { queueStats, RemasterPostProcess, sessionCounts } from "@remaster/plugin";
import type { EngineKind } from "./contracts.ts";
import { createEngine } from "./engine.ts";
import {
  contextLost,
  gpuObjects,
  installGpuObjectCounter,
  useDevice,
  type GpuObjectCounts,
} from "./gpuObjectCounter.ts";
import { readCanvasPixels } from "./pixels.ts";
import { idleCachedGpuObjects, postProcessesOf } from "./postProcessCaches.ts";
import { seedMathRandom } from "./rng.ts";
import { createSceneInstance } from "./sceneInstance.ts";
import { resultTextureId } from "./effectPrivates.ts";
import { bindGroupCacheContents, gpuDevice } from "../../plugin/src/babylon/internals.ts";

installGpuObjectCounter(); // before the engine: every object it makes is counted

const q = new URLSearchParams(location.search);
const kind = (q.get("engine") ?? "webgl2") as EngineKind;
let size = Number(q.get("size") ?? 64);
/** `capture=0`: the WebGPU path without graph capture (plain session runs). */
const graphCapture = q.get("capture") !== "0";
/** `effect=off`: no RemasterPostProcess on the page (the soak's control run). */
const withEffect = q.get("effect") !== "off";

/** A frame is black when no pixel has a channel above this (the demo scene is never that dark). */
const BLACK_MAX = 8;

export interface SoakState {
  size: number;
  enabled: boolean;
  /** The effect's backend; "off" on a page without the effect (`effect=off`). */
  backend: string;
  inputWidth: number;
  /** Over every effect this page made (swapped and disposed ones included). */
  inferences: number;
  frames: number;
  /** Frames the page rendered while its context or device lived (with or without the effect). */
  pageFrames: number;
  /** Context or device losses Babylon reported (its onContextLostObservable). */
  lossesSeen: number;
  passedThrough: number;
  errors: string[];
  /** performance.now() of each error, in order (to line them up with the queue's slow calls). */
  errorTimesMs: number[];
  /** The plugin's onnxruntime call queue: calls, the longest, how many were still running after
   * 10 s, and the last 16 of those. */
  queue: { calls: number; longestMs: number; slowCalls: number; slow: Array<{ call: string; atMs: number }> };
  effects: number;
  sessions: { created: number; released: number; open: number };
  /** Counted GPU objects: created, destroyed and live per kind; of the live ones, those held only
   * by render targets Babylon's post-processes keep cached for another size, freed after 100 of the
   * post-process's frames (`idleCached`: postProcessCaches.ts). */
  gpu: { buffers: GpuObjectCounts; textures: GpuObjectCounts; idleCached: { buffers: number; textures: number } };
  contextLost: boolean;
  /** WebGPU: Babylon's bind group cache (a tree keyed by the ids of the buffers, samplers and
   * textures each draw binds, never pruned; reset at a device loss): its nodes, the bind groups
   * they hold, and how many of the textures it is keyed by Babylon has released since (entries
   * nothing can look up again: the cache's leak, whoever's draw it was). null on WebGL2. */
  bindGroupCache: { nodes: number; bindGroups: number; releasedTextures: number } | null;
  /** An inference (with its readback buffers) is in progress: samples wait for it to end. */
  inferenceRunning: boolean;
}

export interface SoakApi {
  /** Renders n frames; every `checkEvery`-th is read back and checked for black (not while lost). */
  frames(a: { n: number; checkEvery: number }): Promise<{ checked: number; black: number; failed: string[] }>;
  resize(n: number): void;
  setEnabled(on: boolean): void;
  /** A game switching models: the effect disposed, a new one made with `model`. */
  swapModel(model: string): void;
  /** Disposes the effect right after a frame started an inference, then makes a new effect. */
  disposeInFlight(): Promise<{ inFlight: boolean }>;
  /** A real loss: GPUDevice.destroy() (WebGPU) or WEBGL_lose_context.loseContext() (WebGL2). */
  loseDevice(): void;
  /** WebGL2: WEBGL_lose_context.restoreContext() (WebGPU: Babylon makes a new device itself). */
  restoreContext(): void;
  state(): SoakState;
}

declare global {
  interface Window {
    remasterSoak: SoakApi;
  }
}

async function main() {
  seedMathRandom(1 ^ 0x5eed);
  const canvas = document.createElement("canvas");
  document.body.appendChild(canvas);
  const engine = await createEngine({ canvas, kind, width: size, height: size });
  const instance = await createSceneInstance({
    engine,
    source: { kind: "demo", layout: "yard", seed: 1 },
    variant: "low",
    envUrl: "./assets/photoStudio.env",
  });
  instance.setFrame(90, instance.poseAt(0, 90));
  await instance.warmUp();
  const scene = instance.scene;
  const errors: string[] = [];
  const errorTimesMs: number[] = [];
  const past = { inferences: 0, frames: 0, passedThrough: 0 };
  let effects = 0;
  let lost = false;
  let lossesSeen = 0;
  let pageFrames = 0;
  engine.onContextLostObservable.add(() => {
    lost = true;
    lossesSeen++;
    if (!engine.isWebGPU) contextLost();
  });
  engine.onContextRestoredObservable.add(() => (lost = false));

  const make = (model?: string, enabled = true) => {
    const e = new RemasterPostProcess({ ...(model ? { model } : {}), enabled, graphCapture });
    e.onErrorObservable.add((err) => {
      errors.push(err.message);
      errorTimesMs.push(performance.now());
    });
    scene.addPostProcess(e);
    effects++;
    return e;
  };
  let effect: RemasterPostProcess | null = withEffect ? make() : null;
  /** Whether the effect's inference is in flight (a private field: read on this test page only). */
  const running = () => (effect as unknown as { inFlight?: boolean } | null)?.inFlight === true;
  /** The effect, for the calls that need one (a page with `effect=off` has none). */
  const theEffect = (what: string) => {
    if (!effect) throw new Error(`${what}: this soak page has no effect (effect=off)`);
    return effect;
  };
  const retire = () => {
    if (!effect) return;
    past.inferences += effect.stats.inferences;
    past.frames += effect.stats.frames;
    past.passedThrough += effect.stats.passedThrough;
    effect.dispose();
  };

  // Taken while the context lives: a lost context's getExtension returns null.
  const loseExt = engine.isWebGPU
    ? null
    : (engine as unknown as { _gl: WebGL2RenderingContext })._gl.getExtension("WEBGL_lose_context");
  const glLoss = () => {
    if (!loseExt) throw new Error("WEBGL_lose_context is not available");
    return loseExt;
  };

  async function frame(check: boolean): Promise<boolean | null> {
    engine.beginFrame();
    scene.render();
    const pixels = check && !lost ? readCanvasPixels(engine, size, size) : null;
    engine.endFrame();
    if (!lost) pageFrames++;
    const px = pixels ? await pixels : null;
    await new Promise((r) => setTimeout(r, 0));
    if (!px) return null;
    for (let i = 0; i < px.length; i += 4) if (Math.max(px[i], px[i + 1], px[i + 2]) > BLACK_MAX) return false;
    return true;
  }

  window.remasterSoak = {
    async frames({ n, checkEvery }) {
      let checked = 0;
      let black = 0;
      const failed: string[] = [];
      for (let i = 0; i < n; i++) {
        try {
          const isBlack = await frame(checkEvery > 0 && i % checkEvery === 0);
          if (isBlack !== null) checked++;
          if (isBlack) black++;
        } catch (e) {
          failed.push((e as Error).message); // a frame the engine could not render (while lost)
        }
      }
      return { checked, black, failed };
    },
    resize(n) {
      size = n;
      canvas.style.width = canvas.style.height = `${n}px`;
      engine.setSize(n, n);
    },
    setEnabled(on) {
      if (effect) effect.enabled = on;
    },
    swapModel(model) {
      const on = theEffect("swapModel").enabled;
      retire();
      effect = make(model, on);
    },
    async disposeInFlight() {
      const e = theEffect("disposeInFlight");
      // Wait for an inference to finish, so that the next frame starts a new one.
      const n = e.stats.inferences;
      for (let i = 0; i < 2000 && e.stats.inferences === n; i++) await frame(false);
      engine.beginFrame();
      scene.render();
      engine.endFrame(); // the effect starts its next inference here
      const inFlight = running();
      const on = e.enabled;
      retire(); // ...while it runs
      effect = make(undefined, on);
      await new Promise((r) => setTimeout(r, 0));
      return { inFlight };
    },
    loseDevice() {
      if (engine.isWebGPU) gpuDevice(engine).destroy();
      else glLoss().loseContext();
    },
    restoreContext() {
      if (!engine.isWebGPU) glLoss().restoreContext();
    },
    state() {
      if (engine.isWebGPU && gpuDevice(engine)) useDevice(gpuDevice(engine));
      const s = effect?.stats ?? { backend: "off", inputWidth: size, inferences: 0, frames: 0, passedThrough: 0 };
      return {
        size,
        enabled: effect?.enabled ?? false,
        backend: s.backend,
        inputWidth: s.inputWidth,
        inferences: past.inferences + s.inferences,
        frames: past.frames + s.frames,
        pageFrames,
        lossesSeen,
        passedThrough: past.passedThrough + s.passedThrough,
        errors: [...errors],
        errorTimesMs: [...errorTimesMs],
        queue: { ...queueStats, slow: [...queueStats.slow] },
        effects,
        sessions: { ...sessionCounts, open: sessionCounts.created - sessionCounts.released },
        gpu: {
          buffers: gpuObjects.counts("buffers"),
          textures: gpuObjects.counts("textures"),
          idleCached: idleCachedGpuObjects(postProcessesOf(scene)),
        },
        contextLost: lost,
        bindGroupCache: bindGroupCacheCounts(engine, resultTextureId(effect)),
        inferenceRunning: running(),
      };
    },
  };
  document.body.dataset.ready = "true";
}

/** Babylon's WebGPU bind group cache in three counts (null on WebGL2). A texture is released once it
 * has left the engine's list of textures (`getLoadedTexturesCache`), but for `outside` (the effect's
 * current result, never in that list); id 0 is "no texture bound". */
function bindGroupCacheCounts(
  engine: Parameters<typeof bindGroupCacheContents>[0],
  outside: number | null,
): SoakState["bindGroupCache"] {
  const c = bindGroupCacheContents(engine);
  if (!c) return null;
  const live = new Set(engine.getLoadedTexturesCache().map((t) => t.uniqueId));
  if (outside !== null) live.add(outside);
  const releasedTextures = c.textureIds.filter((id) => id !== 0 && !live.has(id)).length;
  return { nodes: c.nodes, bindGroups: c.bindGroups, releasedTextures };
}

main().catch((e) => {
  document.body.dataset.error = (e as Error).message;
  console.error(e);
});
