/**
 * CPU conversions between frames and model tensors (the WASM path; the WebGPU path does the same
 * in compute shaders). Frames: RGBA8, row 0 at the top, sRGB-encoded. Tensors: NCHW float32,
 * (1, 3, H, W), RGB in [0, 1], same encoding.
 */

/** RGBA8 (rows top-first, or bottom-first when `flipY`) -> NCHW float32 in [0, 1]. */
export function rgbaToNchw(
  rgba: Uint8Array,
  width: number,
  height: number,
  flipY = false,
  out?: Float32Array,
): Float32Array {
  const plane = width * height;
  const t = out ?? new Float32Array(3 * plane);
  for (let y = 0; y < height; y++) {
    const srcRow = (flipY ? height - 1 - y : y) * width;
    for (let x = 0; x < width; x++) {
      const s = (srcRow + x) * 4;
      const d = y * width + x;
      t[d] = rgba[s] / 255;
      t[plane + d] = rgba[s + 1] / 255;
      t[2 * plane + d] = rgba[s + 2] / 255;
    }
  }
  return t;
}

/**
 * NCHW float (clamped to [0, 1]) -> RGBA8, rows top-first (bottom-first when `flipY`). Alpha 255,
 * or 0 on a pixel with a NaN/infinite channel (the composite then passes the frame's pixel
 * through); `nonFinite` says how many such pixels there were.
 */
export function nchwToRgba(
  t: Float32Array,
  width: number,
  height: number,
  flipY = false,
  out?: Uint8Array,
  nonFinite?: { pixels: number },
): Uint8Array {
  const plane = width * height;
  const rgba = out ?? new Uint8Array(4 * plane);
  for (let y = 0; y < height; y++) {
    const dstRow = (flipY ? height - 1 - y : y) * width;
    for (let x = 0; x < width; x++) {
      const s = y * width + x;
      const d = (dstRow + x) * 4;
      let alpha = 255;
      for (let c = 0; c < 3; c++) {
        const v = t[c * plane + s];
        if (v !== v || v === Infinity || v === -Infinity) alpha = 0;
        rgba[d + c] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
      rgba[d + 3] = alpha;
      if (!alpha && nonFinite) nonFinite.pixels++;
    }
  }
  return rgba;
}

/** RGBA8 nearest-neighbour resize (the WASM path's `scale` < 1): pixel centres map to pixel centres. */
export function resizeNearest(src: Uint8Array, w: number, h: number, ow: number, oh: number): Uint8Array {
  const out = new Uint8Array(ow * oh * 4);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / oh));
    for (let x = 0; x < ow; x++) {
      const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / ow));
      out.set(src.subarray((sy * w + sx) * 4, (sy * w + sx) * 4 + 4), (y * ow + x) * 4);
    }
  }
  return out;
}
