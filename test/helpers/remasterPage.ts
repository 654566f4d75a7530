/**
 * Driving remaster.html (the one-liner test page) from a test: open a page on an engine, call its
 * window.remasterTest API, compare frames, and compute onnxruntime's reference output outside the
 * browser. One browser session per test file (useBrowserSession in the file itself).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import type { RemasterTestApi } from "../../engine-demo/src/remaster-page.ts";
import type { BrowserSession } from "./session.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const python = join(root, "training/.venv/bin/python");
const MODEL = join(root, "models/remaster-realtime.onnx");

export interface PageHandle {
  page: Page;
  offsite: string[];
}

/** `served`: extra files the page can fetch, path on the test server -> bytes (e.g. a broken model). */
export async function openPage(
  session: BrowserSession,
  query: string,
  served: Record<string, Buffer> = {},
): Promise<PageHandle> {
  const context = await session.browser.newContext({ viewport: { width: 400, height: 400 } });
  const page = await context.newPage();
  const offsite: string[] = [];
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1" && served[url.pathname])
      return route.fulfill({ body: served[url.pathname], contentType: "application/octet-stream" });
    if (url.hostname === "127.0.0.1" || url.protocol === "blob:" || url.protocol === "data:") return route.continue();
    offsite.push(url.href);
    return route.abort();
  });
  await page.goto(`${session.server.url}remaster.html?${query}`);
  await page.waitForFunction(() => document.body.dataset.ready === "true" || document.body.dataset.error, null, {
    timeout: 120_000,
  });
  const error = await page.evaluate(() => document.body.dataset.error);
  assert.equal(error, undefined, `page failed: ${error}`);
  return { page, offsite };
}

/** Opens the test page, runs `fn` on it, and closes it whatever happens. */
export async function withPage(
  session: BrowserSession,
  query: string,
  fn: (h: PageHandle) => Promise<void>,
  served: Record<string, Buffer> = {},
): Promise<void> {
  const h = await openPage(session, query, served);
  try {
    await fn(h);
  } finally {
    await h.page.context().close();
  }
}

export const api = <T>(page: Page, fn: keyof RemasterTestApi, arg?: unknown) =>
  page.evaluate(([f, a]) => (window.remasterTest[f] as (x: unknown) => unknown)(a), [fn, arg] as const) as Promise<T>;

/** The shipped model with its output multiplied by NaN (test/helpers/nan_model.py). */
export function nanModel(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "remaster-nan-"));
  execFileSync(python, [join(root, "test/helpers/nan_model.py"), MODEL, join(dir, "nan.onnx")]);
  return readFileSync(join(dir, "nan.onnx"));
}

export function referenceOutput(input: Buffer, size: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "remaster-ref-"));
  writeFileSync(join(dir, "in.rgba"), input);
  execFileSync(python, [
    join(root, "test/helpers/reference_infer.py"),
    MODEL,
    join(dir, "in.rgba"),
    join(dir, "out.rgba"),
    String(size),
    String(size),
  ]);
  return readFileSync(join(dir, "out.rgba"));
}

/** The frame with the effect vs the pass-through frame (the effect disabled), on the same still frame. */
export async function effectVsPassThrough(page: Page): Promise<{ mean: number; p99: number; max: number }> {
  const on = Buffer.from(await api<string>(page, "capture", true), "base64");
  const off = Buffer.from(await api<string>(page, "capture", false), "base64");
  return diffStats(on, off);
}

export function diffStats(a: Buffer, b: Buffer): { mean: number; p99: number; max: number } {
  const d: number[] = [];
  for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) d.push(Math.abs(a[i + c] - b[i + c]));
  d.sort((x, y) => x - y);
  return { mean: d.reduce((s, v) => s + v, 0) / d.length, p99: d[Math.floor(d.length * 0.99)], max: d[d.length - 1] };
}
