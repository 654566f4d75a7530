/** Moving frames out of the GPU and across the page boundary. Contract: see contracts.ts. */
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";

/**
 * Reads the canvas backbuffer right after scene.render() as RGBA8 with the top row first.
 * WebGL returns rows bottom-up, WebGPU top-down; the result is normalised either way.
 */
export async function readCanvasPixels(engine: AbstractEngine, width: number, height: number): Promise<Uint8Array> {
  const view = await engine.readPixels(0, 0, width, height, true, true);
  const src = new Uint8Array(view.buffer, view.byteOffset, width * height * 4);
  if (src.length !== width * height * 4)
    throw new Error(`readPixels returned ${src.length} bytes, expected ${width * height * 4}`);
  const out = new Uint8Array(width * height * 4);
  const row = width * 4;
  const flip = !engine.isWebGPU;
  for (let y = 0; y < height; y++) {
    const from = (flip ? height - 1 - y : y) * row;
    out.set(src.subarray(from, from + row), y * row);
  }
  for (let i = 3; i < out.length; i += 4) out[i] = 255; // opaque by contract
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}
