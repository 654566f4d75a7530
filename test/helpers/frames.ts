/** Helpers for tests that look at rendered frames. */
import type { Image } from "../../training/src/dataset/validate.ts";

export { toImage } from "../../training/src/dataset/renderPairs.ts";

/** Mean absolute difference over RGB channels, 0..255. */
export function meanAbsDiff(a: Image, b: Image): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error("size mismatch");
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++) s += Math.abs(a.data[i + c] - b.data[i + c]);
    n += 3;
  }
  return s / n;
}
