/**
 * Seeded randomness. Everything in the demo scene that varies is drawn from these, never from
 * Math.random or the wall clock, so (variant, seed, frame, size) always renders the same pixels.
 */

/** mulberry32: a tiny 32-bit PRNG returning floats in [0, 1). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes several integers (or strings) into one 32-bit seed (FNV-1a over their decimal text). */
export function hashSeed(...parts: Array<number | string>): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("|")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Uniform float in [lo, hi). */
export function range(rng: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** Uniform integer in [lo, hi] (inclusive). */
export function intRange(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/**
 * Replaces Math.random with a seeded generator. Some Babylon effects (SSAO2's noise texture)
 * draw from Math.random when they are created; seeding it makes those textures identical from
 * one page load to the next. Returns a function that restores the original.
 */
export function seedMathRandom(seed: number): () => void {
  const original = Math.random;
  Math.random = createRng(seed);
  return () => {
    Math.random = original;
  };
}
