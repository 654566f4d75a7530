/**
 * The render harness: a page-side API that Playwright drives to render frames of any render
 * variant deterministically and hand back their pixels. Used by the dataset renderer and the
 * browser tests. Exposed as `window.remasterHarness` by harness-page.ts.
 */
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import type { FrameKind, FrameRequest, HarnessInfo, HarnessOptions, RenderedFrame } from "./contracts.ts";
import { assertFrameSize, MASK, RENDER_VARIANTS } from "./contracts.ts";
import { createEngine } from "./engine.ts";
import { bytesToBase64, readCanvasPixels } from "./pixels.ts";
import { seedMathRandom } from "./rng.ts";
import { createSceneInstance, type SceneInstance } from "./sceneInstance.ts";
import type { DepthRenderer } from "@babylonjs/core/Rendering/depthRenderer.js";
import "@babylonjs/core/Rendering/depthRendererSceneComponent.js";
import { Color4 } from "@babylonjs/core/Maths/math.color.js";
import { DirectionalLight } from "@babylonjs/core/Lights/directionalLight.js";

/** A depth renderer writing camera-space z (metres) into a float target, 0 where nothing is drawn. */
function cameraSpaceDepth(instance: SceneInstance): DepthRenderer {
  const r = instance.scene.enableDepthRenderer(instance.camera, false, true, undefined, true);
  r.clearColor = new Color4(0, 0, 0, 0);
  return r;
}

/** The depth map rendered with the last frame, top row first, as RenderedFrame's depth fields. */
async function readDepth(
  r: DepthRenderer,
  width: number,
  height: number,
  instance: SceneInstance,
): Promise<Pick<RenderedFrame, "depthBase64" | "depthRange">> {
  const view = (await r.getDepthMap().readPixels()) as Float32Array;
  // WebGL reads the target back as RGBA, WebGPU as its single R channel; rows bottom-up on both
  // (the browser test checks against the mask). Normalise to top-first, R only.
  const channels = view.length / (width * height);
  if (channels !== 1 && channels !== 4)
    throw new Error(`depth readback of ${view.length} values for ${width}x${height}`);
  const z = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) z[y * width + x] = view[((height - 1 - y) * width + x) * channels];
  }
  return {
    depthBase64: bytesToBase64(new Uint8Array(z.buffer)),
    depthRange: [instance.camera.minZ, instance.camera.maxZ],
  };
}

interface Slot {
  engine: AbstractEngine;
  instance: SceneInstance;
  width: number;
  height: number;
  depth?: DepthRenderer;
}

export class RenderHarness {
  private slots = new Map<FrameKind, Slot>();
  private engines: AbstractEngine[] = [];

  private constructor(readonly options: HarnessOptions) {}

  static async create(options: HarnessOptions, host: HTMLElement): Promise<RenderHarness> {
    assertFrameSize("width", options.width);
    assertFrameSize("height", options.height);
    for (const v of options.variants) {
      if (!RENDER_VARIANTS.includes(v))
        throw new Error(`unknown render variant "${v}"; expected one of ${RENDER_VARIANTS.join(", ")}`);
    }
    // Some effects draw from Math.random when created (SSAO2's noise): make them repeatable.
    seedMathRandom(options.source.seed ^ 0x5eed);
    const h = new RenderHarness(options);
    const scale = options.lowRenderScale ?? 1;
    const kinds: FrameKind[] = [...options.variants, ...(options.mask ? [MASK] : [])];
    for (const variant of kinds) {
      // Each variant gets its own canvas and engine: a reduced-scale low frame never forces the
      // full-size engine to resize (and reallocate every post-process target) between renders.
      const scaled = variant === "low" && scale !== 1;
      const width = scaled ? Math.round(options.width * scale) : options.width;
      const height = scaled ? Math.round(options.height * scale) : options.height;
      if (scaled) {
        assertFrameSize("low render width", width);
        assertFrameSize("low render height", height);
      }
      const canvas = document.createElement("canvas");
      canvas.dataset.variant = variant;
      host.appendChild(canvas);
      const engine = await createEngine({ canvas, kind: options.engine, width, height });
      h.engines.push(engine);
      const instance = await createSceneInstance({
        engine,
        source: options.source,
        variant: variant === MASK ? "low" : variant,
        mask: variant === MASK,
        envUrl: options.envUrl,
        fsrRenderScale: variant === "low_fsr1" ? (options.lowRenderScale ?? 0.5) : undefined,
        lowShadowMapSize: options.lowShadowMapSize,
      });
      const depth = variant === MASK && options.depth ? cameraSpaceDepth(instance) : undefined;
      h.slots.set(variant, { engine, instance, width, height, depth });
    }
    return h;
  }

  info(): HarnessInfo {
    const variants: HarnessInfo["variants"] = {};
    for (const [v, s] of this.slots)
      variants[v] = { width: s.width, height: s.height, postProcesses: s.instance.applied.postProcesses };
    const first = this.engines[0];
    return { engine: this.options.engine, adapter: first ? first.description : "none", variants };
  }

  private slot(variant: FrameKind): Slot {
    const s = this.slots.get(variant);
    if (!s)
      throw new Error(
        `variant "${variant}" was not set up in this harness (have: ${[...this.slots.keys()].join(", ")})`,
      );
    return s;
  }

  /** Renders one frame of one variant and returns its pixels (RGBA8, top row first, sRGB). */
  async renderFrame(req: FrameRequest): Promise<RenderedFrame> {
    const { engine, instance, width, height, depth } = this.slot(req.variant);
    const pose = instance.poseAt(req.path, req.frame);
    instance.setFrame(req.frame, pose);
    await instance.warmUp();
    const t0 = performance.now();
    engine.beginFrame();
    instance.scene.render();
    const pending = readCanvasPixels(engine, width, height);
    engine.endFrame();
    const rgba = await pending;
    const t1 = performance.now();
    const rgbaBase64 = bytesToBase64(rgba);
    const extra = depth && req.withDepth ? await readDepth(depth, width, height, instance) : {};
    const sun = instance.scene.lights.find((l): l is DirectionalLight => l instanceof DirectionalLight);
    const sunDirection = sun ? (sun.direction.normalizeToNew().asArray() as [number, number, number]) : undefined;
    return {
      width,
      height,
      rgbaBase64,
      pose,
      renderMs: t1 - t0,
      readbackMs: performance.now() - t1,
      ...extra,
      ...(sunDirection ? { sunDirection } : {}),
    };
  }

  /** Pure render cost: `frames` renders of one variant, each waited on by a 1x1 readback. */
  async benchRender(variant: FrameKind, frames: number, path = 0): Promise<{ msPerFrame: number }> {
    const { engine, instance } = this.slot(variant);
    await instance.warmUp();
    const once = async (f: number) => {
      instance.setFrame(f, instance.poseAt(path, f));
      engine.beginFrame();
      instance.scene.render();
      const p = engine.readPixels(0, 0, 1, 1, true, true);
      engine.endFrame();
      await p;
    };
    // Two untimed frames first: the first renders after a warm-up still allocate (shadow maps...).
    for (let f = 0; f < 2; f++) await once(1000 + f);
    const t0 = performance.now();
    for (let f = 0; f < frames; f++) await once(f * 37);
    return { msPerFrame: (performance.now() - t0) / frames };
  }

  dispose(): void {
    for (const s of this.slots.values()) s.instance.dispose();
    for (const e of this.engines) e.dispose();
    this.slots.clear();
    this.engines = [];
  }
}
