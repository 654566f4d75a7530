/** One static server and one headless Chromium per test file, started before and closed after. */
import { after, before } from "node:test";
import type { Browser } from "playwright-core";
import { launchChromium, serveDemo } from "../../engine-demo/node/browser.ts";
import type { StaticServer } from "../../engine-demo/node/server.ts";

export interface BrowserSession {
  readonly server: StaticServer;
  readonly browser: Browser;
}

export function useBrowserSession(extraMounts: Record<string, string> = {}): BrowserSession {
  const s = {} as { server: StaticServer; browser: Browser };
  before(async () => {
    s.server = await serveDemo(extraMounts);
    s.browser = await launchChromium();
  });
  after(async () => {
    await s.browser?.close();
    await s.server?.close();
  });
  return s;
}
