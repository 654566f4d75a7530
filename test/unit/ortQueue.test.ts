/**
 * onnxruntime-web's calls one at a time, page-wide (plugin/src/core/ort.ts): in order, never two at
 * once, a slow call holds the queue until it settles (warned about after 10 s), a rejected call
 * does not stop it, and the fault-injection seam rejects runs without calling onnxruntime.
 */
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import type * as OrtNS from "onnxruntime-web";
import { queueStats, runSession, testFaults } from "../../plugin/src/core/ort.ts";

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

test("a slow call holds the queue until it settles (no overlap), and is warned about once after 10 s", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  const warn = mock.method(console, "warn", () => undefined);
  try {
    let finish!: () => void;
    const slow = { run: () => new Promise((r) => (finish = () => r({}))) } as unknown as Session;
    let ran = false;
    const ok = { run: async () => ((ran = true), {}) } as unknown as Session;
    const slowDone = runSession(slow, {});
    const after = runSession(ok, {});
    for (let i = 0; i < 5; i++) await tick();
    const slowBefore = queueStats.slowCalls;
    mock.timers.tick(10_000);
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(queueStats.slowCalls, slowBefore + 1);
    assert.equal(queueStats.slow.at(-1)!.call, "run");
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0].arguments[0]), /onnxruntime call 'run' still running after 10 s/);
    mock.timers.tick(60_000);
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(ran, false, "the next call started while the slow one was still running");
    assert.equal(warn.mock.callCount(), 1, "warned more than once");
    finish();
    await slowDone;
    await after;
    assert.equal(ran, true);
  } finally {
    warn.mock.restore();
    mock.timers.reset();
  }
});

test("the record of slow calls stays bounded: every one counted, the last 16 kept", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  const warn = mock.method(console, "warn", () => undefined);
  try {
    const before = queueStats.slowCalls;
    for (let i = 0; i < 20; i++) {
      let finish!: () => void;
      const session = { run: () => new Promise((r) => (finish = () => r({}))) } as unknown as Session;
      const done = runSession(session, {});
      for (let k = 0; k < 5; k++) await tick();
      mock.timers.tick(10_000);
      for (let k = 0; k < 5; k++) await tick();
      finish();
      await done;
    }
    assert.equal(queueStats.slowCalls, before + 20);
    assert.equal(queueStats.slow.length, 16);
    assert.equal(warn.mock.callCount(), 20);
  } finally {
    warn.mock.restore();
    mock.timers.reset();
  }
});

test("a call that rejects does not stop the queue", async () => {
  const bad = { run: async () => Promise.reject(new Error("boom")) } as unknown as Session;
  const ok = { run: async () => ({ y: 1 }) } as unknown as Session;
  const a = runSession(bad, {});
  const b = runSession(ok, {});
  await assert.rejects(a, /boom/);
  assert.deepEqual(await b, { y: 1 });
});

test("testFaults.failRuns makes that many runs reject without reaching onnxruntime", async () => {
  let calls = 0;
  const ok = { run: async () => (calls++, {}) } as unknown as Session;
  testFaults.failRuns = 2;
  await assert.rejects(runSession(ok, {}), /injected runtime fault/);
  await assert.rejects(runSession(ok, {}), /injected runtime fault/);
  await runSession(ok, {});
  assert.equal(calls, 1);
  assert.equal(testFaults.failRuns, 0);
});
