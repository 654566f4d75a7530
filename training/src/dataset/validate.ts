/**
 * Pair validation on raw pixels (RGBA8, top row first). A pair passes when both images are
 * non-blank, their sizes agree (or the low one is the high one at the low render scale), and
 * their geometry is aligned: the Sobel edge maps of the two, at a common small size, correlate.
 * Lighting differs between presets (shadows, AO), so the edge correlation of a good pair is
 * well below 1, but a pair rendered from different cameras or frames falls far lower.
 */
export interface Image {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface PairCheck {
  ok: boolean;
  /** Why not, naming the check. */
  problems: string[];
  lowStd: number;
  highStd: number;
  /** Normalised cross-correlation of the two edge maps, in [-1, 1]. */
  edgeCorrelation: number;
}

/** Luminance (Rec. 709 weights on the encoded values) downsampled by box filter to w x h. */
export function lumaAt(img: Image, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  const fx = img.width / w;
  const fy = img.height / h;
  if (!Number.isInteger(fx) || !Number.isInteger(fy))
    throw new Error(`cannot box-downsample ${img.width}x${img.height} to ${w}x${h}`);
  const n = fx * fy;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let j = 0; j < fy; j++) {
        for (let i = 0; i < fx; i++) {
          const p = ((y * fy + j) * img.width + x * fx + i) * 4;
          s += 0.2126 * img.data[p] + 0.7152 * img.data[p + 1] + 0.0722 * img.data[p + 2];
        }
      }
      out[y * w + x] = s / n;
    }
  }
  return out;
}

export function stdDev(v: Float32Array): number {
  let m = 0;
  for (const x of v) m += x;
  m /= v.length;
  let s = 0;
  for (const x of v) s += (x - m) * (x - m);
  return Math.sqrt(s / v.length);
}

/** Sobel gradient magnitude, borders left at 0. */
export function edgeMap(l: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const a = (dx: number, dy: number) => l[(y + dy) * w + x + dx];
      const gx = a(1, -1) + 2 * a(1, 0) + a(1, 1) - a(-1, -1) - 2 * a(-1, 0) - a(-1, 1);
      const gy = a(-1, 1) + 2 * a(0, 1) + a(1, 1) - a(-1, -1) - 2 * a(0, -1) - a(1, -1);
      out[y * w + x] = Math.hypot(gx, gy);
    }
  }
  return out;
}

export function correlation(a: Float32Array, b: Float32Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Largest divisor-friendly analysis size: each side a divisor of both images' sides, <= 128. */
function analysisSize(low: Image, high: Image): [number, number] {
  const pick = (a: number, b: number) => {
    const g = gcd(a, b);
    let best = 1;
    for (let d = 1; d <= Math.min(g, 128); d++) if (g % d === 0) best = d;
    return best;
  };
  return [pick(low.width, high.width), pick(low.height, high.height)];
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export interface ValidateOptions {
  /** Expected low size relative to high (the low render scale). */
  lowScale: number;
  minAlignment: number;
  /** Luminance standard deviation (0..255) below which an image counts as blank. */
  minStd?: number;
}

export function validatePair(low: Image, high: Image, o: ValidateOptions): PairCheck {
  const problems: string[] = [];
  for (const [name, img] of [
    ["low", low],
    ["high", high],
  ] as const) {
    if (img.data.length !== img.width * img.height * 4)
      problems.push(`${name}: ${img.data.length} bytes for ${img.width}x${img.height} RGBA`);
  }
  const expectW = Math.round(high.width * o.lowScale);
  const expectH = Math.round(high.height * o.lowScale);
  if (low.width !== expectW || low.height !== expectH) {
    problems.push(
      `size: low is ${low.width}x${low.height}, expected ${expectW}x${expectH} (high ${high.width}x${high.height} at scale ${o.lowScale})`,
    );
  }
  if (problems.length) return { ok: false, problems, lowStd: 0, highStd: 0, edgeCorrelation: 0 };
  const [w, h] = analysisSize(low, high);
  const ll = lumaAt(low, w, h);
  const lh = lumaAt(high, w, h);
  const lowStd = stdDev(ll);
  const highStd = stdDev(lh);
  const minStd = o.minStd ?? 2;
  if (lowStd < minStd) problems.push(`blank: low image has luminance std ${lowStd.toFixed(2)} < ${minStd}`);
  if (highStd < minStd) problems.push(`blank: high image has luminance std ${highStd.toFixed(2)} < ${minStd}`);
  const edgeCorrelation = correlation(edgeMap(ll, w, h), edgeMap(lh, w, h));
  if (edgeCorrelation < o.minAlignment) {
    problems.push(`misaligned: edge correlation ${edgeCorrelation.toFixed(3)} < ${o.minAlignment}`);
  }
  return { ok: problems.length === 0, problems, lowStd, highStd, edgeCorrelation };
}
