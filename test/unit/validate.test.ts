import assert from "node:assert/strict";
import { test } from "node:test";
import { validatePair, type Image } from "../../training/src/dataset/validate.ts";

/** A synthetic "frame": boxes at seeded places, with optional shift and lighting change. */
function frame(w: number, h: number, o: { shift?: number; gain?: number; seed?: number } = {}): Image {
  const data = new Uint8Array(w * h * 4);
  const boxes = [
    [0.1, 0.2, 0.3, 0.5],
    [0.5, 0.1, 0.8, 0.4],
    [0.4, 0.6, 0.9, 0.9],
    [0.05, 0.7, 0.25, 0.95],
  ].map((b) => b.map((v) => (v + (o.seed ?? 0) * 0.13) % 1));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = (x - (o.shift ?? 0)) / w;
      const v = y / h;
      let c = 40 + 60 * v;
      boxes.forEach((b, i) => {
        if (u >= b[0] && u < b[2] && v >= b[1] && v < b[3]) c = 90 + 40 * i;
      });
      const p = (y * w + x) * 4;
      data[p] = data[p + 1] = data[p + 2] = Math.min(255, c * (o.gain ?? 1));
      data[p + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

const opts = { lowScale: 1, minAlignment: 0.35 };

test("an aligned pair with different lighting passes", () => {
  const r = validatePair(frame(128, 128), frame(128, 128, { gain: 1.4 }), opts);
  assert.ok(r.ok, r.problems.join("; "));
  assert.ok(r.edgeCorrelation > 0.9);
});

test("a misaligned pair fails and says so", () => {
  const r = validatePair(frame(128, 128), frame(128, 128, { seed: 3 }), opts);
  assert.ok(!r.ok);
  assert.match(r.problems.join(), /misaligned: edge correlation/);
});

test("a blank image fails", () => {
  const blank: Image = { width: 128, height: 128, data: new Uint8Array(128 * 128 * 4).fill(0) };
  const r = validatePair(blank, frame(128, 128), opts);
  assert.match(r.problems.join(), /blank: low image/);
});

test("sizes must agree with the low render scale", () => {
  assert.match(
    validatePair(frame(64, 64), frame(128, 128), opts).problems.join(),
    /size: low is 64x64, expected 128x128/,
  );
  const half = validatePair(frame(64, 64), frame(128, 128), { ...opts, lowScale: 0.5 });
  assert.ok(half.ok, half.problems.join("; "));
});
