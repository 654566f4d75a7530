/** The demo page served by `npm start` renders its split view with the plugin running. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { launchChromium, serveDemo } from "../../engine-demo/node/browser.ts";

test(
  "demo page: low | low + remaster split on WebGL2 shows model timings and no errors",
  { timeout: 180_000 },
  async () => {
    const server = await serveDemo();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${server.url}?engine=webgl2&mode=low|remaster&layout=street`);
      await page.waitForFunction(
        () => document.body.dataset.ready === "true" || document.getElementById("status")!.textContent,
        null,
        { timeout: 120_000 },
      );
      assert.equal(await page.textContent("#status"), "");
      await page.waitForFunction(
        () => /model wasm fp32 [1-9]/.test(document.getElementById("overlay")?.textContent ?? ""),
        null,
        { timeout: 120_000 },
      );
      assert.equal(await page.locator("canvas").count(), 2);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.close();
    }
  },
);
