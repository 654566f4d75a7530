/**
 * Reads the frame back for the CPU (WASM) path without stalling the render loop.
 * WebGL2: readPixels into a pixel-pack buffer + fence (Babylon's Engine._readPixelsAsync), so the
 * copy is queued with the frame and the CPU polls the fence instead of waiting for the GPU.
 * Anything else (WebGPU engine with the wasm backend, float targets): Babylon's _readTexturePixels.
 * Output: RGBA8, rows bottom-up (the render-target convention on both engines), width*height*4.
 */
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import { Constants } from "@babylonjs/core/Engines/constants.js";
import { hardwareResource, readTexturePixels, webgl2Internals, type FrameTexture } from "../babylon/internals.ts";

export class FrameReader {
  private framebuffer: WebGLFramebuffer | null = null;
  /** Whether the last read went through the asynchronous pixel-pack-buffer path. */
  lastAsync = false;

  constructor(
    private readonly engine: AbstractEngine,
    private readonly allowAsync = true,
  ) {}

  async read(texture: FrameTexture, width: number, height: number): Promise<Uint8Array> {
    const gl = webgl2Internals(this.engine);
    if (gl && this.allowAsync && texture.type === Constants.TEXTURETYPE_UNSIGNED_BYTE && texture._hardwareTexture) {
      const g = gl.gl;
      this.framebuffer ??= g.createFramebuffer();
      g.bindFramebuffer(g.FRAMEBUFFER, this.framebuffer);
      g.framebufferTexture2D(
        g.FRAMEBUFFER,
        g.COLOR_ATTACHMENT0,
        g.TEXTURE_2D,
        hardwareResource<WebGLTexture>(texture),
        0,
      );
      let pending: Promise<Uint8Array> | null;
      try {
        pending = gl.readPixelsAsync(0, 0, width, height, g.RGBA, g.UNSIGNED_BYTE, new Uint8Array(width * height * 4));
      } finally {
        g.bindFramebuffer(g.FRAMEBUFFER, gl.currentFramebuffer());
      }
      if (pending) {
        this.lastAsync = true;
        return pending;
      }
    }
    this.lastAsync = false;
    const view = await readTexturePixels(this.engine, texture, width, height);
    return view instanceof Uint8Array ? view : floatToBytes(view as Float32Array);
  }

  dispose(): void {
    const gl = webgl2Internals(this.engine);
    if (gl && this.framebuffer) gl.gl.deleteFramebuffer(this.framebuffer);
    this.framebuffer = null;
  }
}

function floatToBytes(f: Float32Array): Uint8Array {
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(f[i] * 255)));
  return out;
}
