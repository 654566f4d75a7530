/**
 * The demo scene in headless Chromium, on both engines: every preset renders non-blank, low
 * differs from high, re-renders are pixel-identical (also on a freshly loaded page), pairs
 * validate as aligned while frames from another camera do not, and nothing leaves localhost.
 * Small sizes: WebGPU here runs on SwiftShader (correct, slow).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { EngineKind, FrameRequest, RenderVariant } from "../../engine-demo/src/contracts.ts";
import { openHarness, type HarnessPage } from "../../engine-demo/node/browser.ts";
import { useBrowserSession } from "../helpers/session.ts";
import { stdDev, lumaAt, validatePair } from "../../training/src/dataset/validate.ts";
import { writeTestGltf } from "../helpers/gltf.ts";
import { meanAbsDiff, toImage } from "../helpers/frames.ts";

const SIZE = 96;
const gltfDir = mkdtempSync(join(tmpdir(), "remaster-gltf-"));
writeTestGltf(join(gltfDir, "blocks.gltf"));
const session = useBrowserSession({ "/user-scene/": gltfDir });

/** Opens a harness page of its own, runs `fn` on it, and closes it whatever happens. */
async function withHarness(fn: (h: HarnessPage) => Promise<void>): Promise<void> {
  const h = await openHarness(session.browser, session.server.url);
  try {
    await fn(h);
  } finally {
    await h.page.context().close();
  }
}

async function render(h: HarnessPage, req: FrameRequest) {
  return toImage(await h.page.evaluate((q) => window.remasterHarness.renderFrame(q), req));
}

for (const engine of ["webgl2", "webgpu"] as EngineKind[]) {
  describe(`demo scene on ${engine}`, () => {
    const variants: RenderVariant[] =
      engine === "webgpu" ? ["low", "high", "low_fxaa_sharpen", "low_fsr1"] : ["low", "high", "low_fxaa_sharpen"];
    let h: HarnessPage;
    before(async () => {
      h = await openHarness(session.browser, session.server.url);
      const info = await h.init({
        engine,
        width: SIZE,
        height: SIZE,
        source: { kind: "demo", layout: "yard", seed: 1 },
        variants,
      });
      assert.deepEqual(Object.keys(info.variants).sort(), [...variants].sort());
      assert.deepEqual(info.variants.high.postProcesses, ["ssao2", "msaa4", "fxaa", "bloom", "aces"]);
      // The realistic low preset keeps the HDR tone-mapping pass (so the background matches high).
      assert.deepEqual(info.variants.low.postProcesses, ["aces"]);
    });
    after(async () => {
      await h?.page.context().close();
    });

    test("each variant renders non-blank, and low differs from high and from the baselines", async () => {
      const frames = new Map<RenderVariant, ReturnType<typeof toImage>>();
      for (const variant of variants) {
        const img = await render(h, { frame: 90, path: 0, variant });
        assert.equal(img.width, SIZE);
        assert.ok(stdDev(lumaAt(img, SIZE / 4, SIZE / 4)) > 5, `${variant} looks blank`);
        frames.set(variant, img);
      }
      assert.ok(meanAbsDiff(frames.get("low")!, frames.get("high")!) > 5, "low and high look the same");
      for (const v of variants.filter((v) => v.startsWith("low_"))) {
        assert.ok(meanAbsDiff(frames.get("low")!, frames.get(v)!) > 0.3, `${v} did not change the low frame`);
      }
      const pair = validatePair(frames.get("low")!, frames.get("high")!, { lowScale: 1, minAlignment: 0.35 });
      assert.ok(pair.ok, pair.problems.join("; "));
    });

    test("re-rendering a frame is pixel-identical, also after other frames", async () => {
      for (const variant of ["low", "high"] as const) {
        const a = await render(h, { frame: 123, path: 1, variant });
        await render(h, { frame: 400, path: 2, variant });
        const b = await render(h, { frame: 123, path: 1, variant });
        assert.equal(meanAbsDiff(a, b), 0, `${variant} re-render differs`);
      }
    });

    test("a freshly loaded page renders the same pixels", async () => {
      const a = await render(h, { frame: 60, path: 0, variant: "high" });
      await withHarness(async (other) => {
        await other.init({
          engine,
          width: SIZE,
          height: SIZE,
          source: { kind: "demo", layout: "yard", seed: 1 },
          variants: ["low", "high"],
        });
        assert.equal(meanAbsDiff(a, await render(other, { frame: 60, path: 0, variant: "high" })), 0);
      });
    });

    test("frames from another camera fail the alignment check", async () => {
      const low = await render(h, { frame: 30, path: 0, variant: "low" });
      const high = await render(h, { frame: 300, path: 3, variant: "high" });
      const r = validatePair(low, high, { lowScale: 1, minAlignment: 0.35 });
      assert.ok(!r.ok, `misaligned pair passed with edge correlation ${r.edgeCorrelation}`);
    });

    test("a user's glTF renders with both presets and an orbit camera", async () => {
      await withHarness(async (g) => {
        await g.init({
          engine,
          width: SIZE,
          height: SIZE,
          source: { kind: "gltf", url: "/user-scene/blocks.gltf", seed: 2 },
          variants: ["low", "high"],
        });
        const low = await render(g, { frame: 10, path: 0, variant: "low" });
        const high = await render(g, { frame: 10, path: 0, variant: "high" });
        assert.ok(stdDev(lumaAt(low, SIZE / 4, SIZE / 4)) > 3, "glTF low looks blank");
        assert.ok(meanAbsDiff(low, high) > 3, "glTF low and high look the same");
        assert.ok(validatePair(low, high, { lowScale: 1, minAlignment: 0.35 }).ok);
        assert.deepEqual(g.offsiteRequests, []);
      });
    });

    test("a randomised world renders with both presets, and its geometry mask separates surfaces from the sky", async () => {
      await withHarness(async (g) => {
        const info = await g.init({
          engine,
          width: SIZE,
          height: SIZE,
          source: { kind: "random", world: 11, seed: 1 },
          variants: ["low", "high"],
          mask: true,
          depth: true,
        });
        assert.deepEqual(info.variants.mask.postProcesses, []);
        const low = await render(g, { frame: 30, path: 1, variant: "low" });
        const high = await render(g, { frame: 30, path: 1, variant: "high" });
        const maskFrame = await g.page.evaluate((q) => window.remasterHarness.renderFrame(q), {
          frame: 30,
          path: 1,
          variant: "mask" as const,
          withDepth: true,
        });
        const mask = toImage(maskFrame);
        // Depth (camera-space z, top row first) is positive exactly where the mask shows geometry.
        const buf = Buffer.from(maskFrame.depthBase64!, "base64");
        const depth = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
        assert.equal(depth.length, SIZE * SIZE);
        let agree = 0;
        for (let i = 0; i < depth.length; i++) if (depth[i] > 0 === mask.data[i * 4] > 127) agree++;
        assert.ok(
          agree / depth.length > 0.99,
          `depth and mask disagree on ${(100 - (100 * agree) / depth.length).toFixed(1)}% of pixels`,
        );
        assert.deepEqual(maskFrame.depthRange, [0.1, 250]);
        assert.ok(stdDev(lumaAt(low, SIZE / 4, SIZE / 4)) > 3, "random world low looks blank");
        assert.ok(meanAbsDiff(low, high) > 2, "random world low and high look the same");
        assert.ok(validatePair(low, high, { lowScale: 1, minAlignment: 0.35 }).ok);
        const values = new Set<number>();
        for (let i = 0; i < mask.data.length; i += 4) values.add(mask.data[i]);
        assert.ok(
          values.has(0) && values.has(255),
          `the mask should hold sky (0) and surfaces (255): ${[...values].slice(0, 8)}`,
        );
        const grey = [...values].filter((v) => v > 8 && v < 247).length;
        assert.ok(grey <= 2, `the mask is not binary: ${grey} grey levels`);
        // The sky is where the mask is black: there the low and high frames agree (same background).
        let skyDiff = 0;
        let sky = 0;
        for (let i = 0; i < mask.data.length; i += 4) {
          if (mask.data[i] !== 0) continue;
          sky++;
          for (let c = 0; c < 3; c++) skyDiff += Math.abs(low.data[i + c] - high.data[i + c]) / 3;
        }
        assert.ok(sky > 0 && skyDiff / sky < 3, `background differs between presets: ${(skyDiff / sky).toFixed(2)}`);
        assert.deepEqual(g.offsiteRequests, []);
        assert.deepEqual(g.pageErrors, []);
      });
    });

    test("no request left localhost and the page logged no errors", () => {
      assert.deepEqual(h.offsiteRequests, []);
      assert.deepEqual(h.pageErrors, []);
    });
  });
}

test("a missing glTF is a clear error", async () => {
  await withHarness(async (h) => {
    await assert.rejects(
      h.init({
        engine: "webgl2",
        width: 64,
        height: 64,
        source: { kind: "gltf", url: "/user-scene/missing.glb", seed: 1 },
        variants: ["low"],
      }),
      /could not load the glTF scene \/user-scene\/missing.glb/,
    );
  });
});

test("a low that keeps shadows (--low-shadows) only darkens, where high has its shadows", async () => {
  const frames = async (lowShadowMapSize?: number) => {
    const got: Partial<Record<"low" | "high", ReturnType<typeof toImage>>> = {};
    await withHarness(async (h) => {
      const info = await h.init({
        engine: "webgl2",
        width: SIZE,
        height: SIZE,
        source: { kind: "demo", layout: "yard", seed: 1 },
        variants: ["low", "high"],
        lowShadowMapSize,
      });
      assert.deepEqual(info.variants.low.postProcesses, ["aces"]); // shadows are no post-process
      for (const variant of ["low", "high"] as const) got[variant] = await render(h, { frame: 90, path: 0, variant });
    });
    return got as Record<"low" | "high", ReturnType<typeof toImage>>;
  };
  const plain = await frames();
  const shadowed = await frames(512);
  const luma = (img: ReturnType<typeof toImage>) => lumaAt(img, SIZE, SIZE); // per pixel at full size
  const [low, lowShadowed, high] = [luma(plain.low), luma(shadowed.low), luma(plain.high)];
  let darker = 0;
  let lighter = 0;
  let darkerInHigh = 0;
  for (let i = 0; i < low.length; i++) {
    const d = lowShadowed[i] - low[i];
    if (d < -10) {
      darker++;
      if (high[i] - low[i] < -5) darkerInHigh++;
    }
    if (d > 2) lighter++;
  }
  const pixels = SIZE * SIZE;
  assert.ok(darker > pixels * 0.02, `only ${darker} of ${pixels} pixels in shadow`);
  assert.ok(lighter < pixels * 0.005, `${lighter} of ${pixels} pixels got lighter with shadows on`);
  // Shadow acne (dotted self-shadowing where high is lit) would darken pixels high leaves alone.
  assert.ok(darkerInHigh > darker * 0.85, `of ${darker} pixels low shadows, only ${darkerInHigh} are darker in high`);
});
