/** Entry of harness.html: exposes the render harness to Playwright as window.remasterHarness. */
import type { FrameRequest, HarnessOptions } from "./contracts.ts";
import { RenderHarness } from "./harness.ts";

let current: RenderHarness | null = null;

const api = {
  async init(options: HarnessOptions) {
    current?.dispose();
    current = null;
    const host = document.getElementById("canvases")!;
    host.replaceChildren();
    current = await RenderHarness.create(options, host);
    return current.info();
  },
  renderFrame(req: FrameRequest) {
    if (!current) throw new Error("remasterHarness.init() must be called first");
    return current.renderFrame(req);
  },
  benchRender(variant: FrameRequest["variant"], frames: number) {
    if (!current) throw new Error("remasterHarness.init() must be called first");
    return current.benchRender(variant, frames);
  },
  dispose() {
    current?.dispose();
    current = null;
  },
};

declare global {
  interface Window {
    remasterHarness: typeof api;
  }
}
window.remasterHarness = api;
document.body.dataset.ready = "true";
