/**
 * Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) set up for offline
 * WebGPU on SwiftShader, plus a page on the render harness. Node-side; used by the dataset
 * renderer, the tests and the benchmarks.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import type { HarnessInfo, HarnessOptions } from "../src/contracts.ts";
import { startStaticServer, type StaticServer } from "./server.ts";

export const DEMO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DEMO_DIST = join(DEMO_ROOT, "dist");
export const MODELS_DIR = join(DEMO_ROOT, "..", "models");

export const CHROMIUM_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-angle=swiftshader",
  "--ignore-gpu-blocklist",
];

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}: install the Debian package "chromium" (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  return path;
}

/** Headless Chromium with the project's flags; `extraArgs` after them (e.g. the soak's `--js-flags=...`). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_FLAGS, ...extraArgs], headless: true });
}

export function assertDemoBuilt(): void {
  if (!existsSync(join(DEMO_DIST, "harness.js"))) {
    throw new Error(`the demo is not built (${DEMO_DIST}/harness.js missing): run "npm run build -w engine-demo"`);
  }
}

/** Serves engine-demo/dist (and models/, and any extra mounts) on loopback. */
export function serveDemo(extraMounts: Record<string, string> = {}): Promise<StaticServer> {
  assertDemoBuilt();
  return startStaticServer({ mounts: { "/": DEMO_DIST, "/models/": MODELS_DIR, ...extraMounts } });
}

export interface HarnessPage {
  page: Page;
  /** Every request that tried to leave localhost (they are all aborted). */
  offsiteRequests: string[];
  /** Console errors and uncaught page errors. */
  pageErrors: string[];
  init(options: Omit<HarnessOptions, "envUrl"> & { envUrl?: string }): Promise<HarnessInfo>;
}

/** Opens the render harness in a new page: offsite requests are blocked and recorded. */
export async function openHarness(browser: Browser, baseUrl: string): Promise<HarnessPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const offsiteRequests: string[] = [];
  const pageErrors: string[] = [];
  const base = new URL(baseUrl);
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === base.hostname || url.protocol === "data:" || url.protocol === "blob:") return route.continue();
    offsiteRequests.push(url.href);
    return route.abort();
  });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(m.text());
  });
  await page.goto(new URL("harness.html", baseUrl).href);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  return {
    page,
    offsiteRequests,
    pageErrors,
    init: (options) =>
      page.evaluate((o) => window.remasterHarness.init(o), {
        envUrl: "./assets/photoStudio.env",
        ...options,
      } as HarnessOptions),
  };
}
