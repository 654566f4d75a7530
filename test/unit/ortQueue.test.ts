/**
 * onnxruntime-web's calls one at a time, page-wide (plugin/src/core/ort.ts): in order, never two at
 * once, and a call that never settles holds the queue for QUEUE_LIMIT_MS (10 s), not for ever.
 */
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import type * as OrtNS from "onnxruntime-web";
import { runSession } from "../../plugin/src/core/ort.ts";

type Session = OrtNS.InferenceSession;
const tick = () => new Promise((r) => setImmediate(r));

test("session runs are serialized in call order, one at a time", async () => {
  const log: string[] = [];
  let active = 0;
  const session = (name: string, ms: number) =>
    ({
      run: async () => {
        active++;
        assert.equal(active, 1, `${name} ran while another call was running`);
        log.push(`${name}:start`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}:end`);
        active--;
        return {};
      },
    }) as unknown as Session;
  await Promise.all([
    runSession(session("a", 20), {}),
    runSession(session("b", 1), {}),
    runSession(session("c", 5), {}),
  ]);
  assert.deepEqual(log, ["a:start", "a:end", "b:start", "b:end", "c:start", "c:end"]);
});

test("a call that never settles holds the queue 10 s, then the next one runs", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const hung = { run: () => new Promise(() => undefined) } as unknown as Session;
    let ran = false;
    const ok = { run: async () => ((ran = true), {}) } as unknown as Session;
    void runSession(hung, {});
    const after = runSession(ok, {});
    for (let i = 0; i < 5; i++) await tick();
    mock.timers.tick(9_999);
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(ran, false, "the next call ran before the hung one's limit");
    mock.timers.tick(1);
    await after;
    assert.equal(ran, true);
  } finally {
    mock.timers.reset();
  }
});
