/**
 * Procedural textures, computed on the CPU from a seed (no downloaded assets).
 * Contract: RGBA8, row 0 at the top, sRGB-encoded colour for albedo/emissive, tangent-space
 * normals encoded as n * 0.5 + 0.5 for normal maps (OpenGL convention, +Y up).
 */
import { createRng, range } from "./rng.ts";

export interface TextureData {
  width: number;
  height: number;
  data: Uint8Array; // RGBA8, width * height * 4
}

type Rgb = [number, number, number];

function blank(width: number, height: number): TextureData {
  return { width, height, data: new Uint8Array(width * height * 4) };
}

function put(tex: TextureData, x: number, y: number, rgb: Rgb, a = 255): void {
  const i = (y * tex.width + x) * 4;
  tex.data[i] = clamp255(rgb[0]);
  tex.data[i + 1] = clamp255(rgb[1]);
  tex.data[i + 2] = clamp255(rgb[2]);
  tex.data[i + 3] = a;
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Tileable value noise in [0, 1] on a `cells` x `cells` lattice. */
function valueNoise(seed: number, cells: number): (u: number, v: number) => number {
  const rng = createRng(seed);
  const lattice = Float32Array.from({ length: cells * cells }, () => rng());
  const at = (i: number, j: number) =>
    lattice[(((j % cells) + cells) % cells) * cells + (((i % cells) + cells) % cells)];
  return (u, v) => {
    const x = u * cells;
    const y = v * cells;
    const i = Math.floor(x);
    const j = Math.floor(y);
    const fx = x - i;
    const fy = y - j;
    const sx = fx * fx * (3 - 2 * fx);
    const sy = fy * fy * (3 - 2 * fy);
    const a = at(i, j) + (at(i + 1, j) - at(i, j)) * sx;
    const b = at(i, j + 1) + (at(i + 1, j + 1) - at(i, j + 1)) * sx;
    return a + (b - a) * sy;
  };
}

/** Fractal (3 octaves) tileable noise in [0, 1]. */
function fbm(seed: number, baseCells: number): (u: number, v: number) => number {
  const octaves = [
    valueNoise(seed, baseCells),
    valueNoise(seed + 1, baseCells * 2),
    valueNoise(seed + 2, baseCells * 4),
  ];
  return (u, v) => octaves[0](u, v) * 0.57 + octaves[1](u, v) * 0.29 + octaves[2](u, v) * 0.14;
}

/** A surface: albedo plus a height field from which the normal map is derived. */
export interface SurfaceTextures {
  albedo: TextureData;
  normal: TextureData;
}

/** Normal map from a height field (values in [0, 1]) with wrap-around central differences. */
export function normalFromHeight(height: Float32Array, size: number, strength: number): TextureData {
  const out = blank(size, size);
  const h = (x: number, y: number) => height[((y + size) % size) * size + ((x + size) % size)];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = (h(x + 1, y) - h(x - 1, y)) * strength;
      const dy = (h(x, y - 1) - h(x, y + 1)) * strength; // +Y up in tangent space, rows go down
      const len = Math.hypot(dx, dy, 1);
      put(out, x, y, [(-dx / len) * 127.5 + 127.5, (-dy / len) * 127.5 + 127.5, (1 / len) * 127.5 + 127.5]);
    }
  }
  return out;
}

/** Square floor tiles with grout, per-tile colour jitter and grime. */
export function floorTiles(seed: number, size = 512, tiles = 4): SurfaceTextures {
  const rng = createRng(seed);
  const grime = fbm(seed + 11, 8);
  const albedo = blank(size, size);
  const height = new Float32Array(size * size);
  const tileColors: Rgb[] = Array.from({ length: tiles * tiles }, () => {
    const base = range(rng, 110, 170);
    const warm = range(rng, 0, 12);
    return [base + warm, base + warm * 0.5, base - warm * 0.3];
  });
  const tile = size / tiles;
  const grout = Math.max(2, Math.round(tile * 0.05));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const tx = Math.floor(x / tile);
      const ty = Math.floor(y / tile);
      const inGrout = x % tile < grout || y % tile < grout;
      const g = grime(x / size, y / size);
      const c = tileColors[ty * tiles + tx];
      const rgb: Rgb = inGrout
        ? [70 * g + 40, 68 * g + 38, 64 * g + 36]
        : [c[0] * (0.8 + 0.3 * g), c[1] * (0.8 + 0.3 * g), c[2] * (0.8 + 0.3 * g)];
      put(albedo, x, y, rgb);
      height[y * size + x] = inGrout ? 0 : 0.6 + 0.4 * g;
    }
  }
  return { albedo, normal: normalFromHeight(height, size, 4) };
}

/** Running-bond bricks with mortar. */
export function bricks(seed: number, size = 512, rows = 8, hue: Rgb = [150, 72, 52]): SurfaceTextures {
  const rng = createRng(seed);
  const noise = fbm(seed + 5, 16);
  const albedo = blank(size, size);
  const height = new Float32Array(size * size);
  const rowH = size / rows;
  const brickW = rowH * 2;
  const cols = Math.round(size / brickW);
  const shades = Float32Array.from({ length: rows * (cols + 1) }, () => range(rng, 0.75, 1.15));
  const mortar = Math.max(2, Math.round(rowH * 0.1));
  for (let y = 0; y < size; y++) {
    const row = Math.floor(y / rowH);
    const offset = row % 2 === 0 ? 0 : brickW / 2;
    for (let x = 0; x < size; x++) {
      const bx = (x + offset) % size;
      const col = Math.floor(bx / brickW);
      const inMortar = y % rowH < mortar || bx % brickW < mortar;
      const n = noise(x / size, y / size);
      const s = shades[row * (cols + 1) + col] * (0.85 + 0.3 * n);
      const rgb: Rgb = inMortar ? [150 + 40 * n, 145 + 40 * n, 135 + 40 * n] : [hue[0] * s, hue[1] * s, hue[2] * s];
      put(albedo, x, y, rgb);
      height[y * size + x] = inMortar ? 0.1 : 0.7 + 0.3 * n;
    }
  }
  return { albedo, normal: normalFromHeight(height, size, 5) };
}

/** Weathered plaster: low-frequency stains and fine grain. */
export function plaster(seed: number, size = 256, tint: Rgb = [205, 195, 175]): SurfaceTextures {
  const stains = fbm(seed, 4);
  const grain = valueNoise(seed + 3, 64);
  const albedo = blank(size, size);
  const height = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = stains(x / size, y / size);
      const g = grain(x / size, y / size);
      const k = 0.7 + 0.35 * s + 0.08 * g;
      put(albedo, x, y, [tint[0] * k, tint[1] * k, tint[2] * k]);
      height[y * size + x] = 0.5 * s + 0.5 * g;
    }
  }
  return { albedo, normal: normalFromHeight(height, size, 2) };
}

/** Leaves on transparent background, for alpha-tested foliage cards (alpha 0 or 255). */
export function foliage(seed: number, size = 256): TextureData {
  const rng = createRng(seed);
  const tex = blank(size, size);
  const leaves = Array.from({ length: 160 }, () => ({
    x: range(rng, 0.1, 0.9) * size,
    y: range(rng, 0.05, 0.85) * size,
    r: range(rng, 0.03, 0.07) * size,
    angle: range(rng, 0, Math.PI),
    shade: range(rng, 0.6, 1.1),
  }));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Leaves sorted by draw order: the last one covering the pixel wins.
      for (let k = leaves.length - 1; k >= 0; k--) {
        const l = leaves[k];
        const dx = x - l.x;
        const dy = y - l.y;
        const u = dx * Math.cos(l.angle) + dy * Math.sin(l.angle);
        const v = -dx * Math.sin(l.angle) + dy * Math.cos(l.angle);
        if ((u * u) / (l.r * l.r) + (v * v) / (l.r * l.r * 0.2) <= 1) {
          put(tex, x, y, [60 * l.shade, 120 * l.shade, 45 * l.shade], 255);
          break;
        }
      }
    }
  }
  return tex;
}

/** An emissive sign: bright blocky "letters" on a dark panel. */
export function signPanel(seed: number, width = 256, height = 64): TextureData {
  const rng = createRng(seed);
  const tex = blank(width, height);
  const glyphs = 7;
  const cells: boolean[] = Array.from({ length: glyphs * 15 }, () => rng() > 0.45);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gx = Math.floor(((x - 12) / (width - 24)) * glyphs);
      const lx = Math.floor(((((x - 12) / (width - 24)) * glyphs) % 1) * 4);
      const ly = Math.floor(((y - 10) / (height - 20)) * 5);
      const inside = x >= 12 && x < width - 12 && y >= 10 && y < height - 10 && lx < 3;
      const lit = inside && cells[gx * 15 + ly * 3 + lx];
      put(tex, x, y, lit ? [255, 190, 90] : [18, 14, 22]);
    }
  }
  return tex;
}

/** Box-filter downscale by an integer factor: the `low` preset's reduced texture resolution. */
export function downscale(tex: TextureData, factor: number): TextureData {
  if (!Number.isInteger(factor) || factor < 1 || tex.width % factor || tex.height % factor) {
    throw new Error(`downscale factor ${factor} must be a positive integer dividing ${tex.width}x${tex.height}`);
  }
  const w = tex.width / factor;
  const h = tex.height / factor;
  const out = blank(w, h);
  const n = factor * factor;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let j = 0; j < factor; j++) {
          for (let i = 0; i < factor; i++) sum += tex.data[((y * factor + j) * tex.width + x * factor + i) * 4 + c];
        }
        out.data[(y * w + x) * 4 + c] = Math.round(sum / n);
      }
    }
  }
  return out;
}
