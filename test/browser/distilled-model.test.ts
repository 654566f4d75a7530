/**
 * Issue #12: a consistency-distilled student (2 steps unrolled in one graph, a fixed noise tile:
 * Tile and Slice on a dynamic shape) runs in the plugin unchanged on both engines: it loads from
 * `model:`, the frame changes, no error. Tiny student (test/helpers/distilled_model.py).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { api, effectVsPassThrough, withPage } from "../helpers/remasterPage.ts";
import { useBrowserSession } from "../helpers/session.ts";

const session = useBrowserSession();
const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

function student(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "remaster-student-"));
  execFileSync(join(root, "training/.venv/bin/python"), [join(root, "test/helpers/distilled_model.py"), dir, "2"]);
  return readFileSync(join(dir, "student-2.onnx"));
}

describe("a distilled student", () => {
  const served = { "/models/student.onnx": student() };
  for (const engine of ["webgl2", "webgpu"]) {
    test(`${engine}: a 2-step student runs in the plugin`, { timeout: 180_000 }, async () => {
      await withPage(
        session,
        `engine=${engine}&size=64&model=/models/student.onnx&precision=fp32`,
        async (h) => {
          assert.equal(await api<string>(h.page, "ready"), "ready");
          const s = await api<{ errors: string[]; loopFrames: number }>(h.page, "stats");
          assert.deepEqual(s.errors, []);
          assert.ok((await effectVsPassThrough(h.page)).max > 0, "the student left the frame unchanged");
          await h.page.waitForFunction((n) => window.remasterTest.stats().loopFrames > n + 3, s.loopFrames);
          assert.deepEqual((await api<{ errors: string[] }>(h.page, "stats")).errors, []);
        },
        served,
      );
    });
  }
});
