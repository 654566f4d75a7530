/** Creates a Babylon engine of the requested kind on a canvas of a fixed pixel size. */
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import { Engine } from "@babylonjs/core/Engines/engine.js";
import { WebGPUEngine } from "@babylonjs/core/Engines/webgpuEngine.js";
import type { EngineKind } from "./contracts.ts";
// Engine extensions register themselves on import (multi render targets for SSAO2's prepass,
// cube textures for IBL, readPixels, ...): pull them all in for both engines.
import "@babylonjs/core/Engines/Extensions/index.js";
import "@babylonjs/core/Engines/WebGPU/Extensions/index.js";

export interface CreateEngineOptions {
  canvas: HTMLCanvasElement;
  kind: EngineKind;
  /** Backbuffer size in pixels (CSS size is set to match; device pixel ratio is ignored). */
  width: number;
  height: number;
}

export async function createEngine(o: CreateEngineOptions): Promise<AbstractEngine> {
  o.canvas.width = o.width;
  o.canvas.height = o.height;
  o.canvas.style.width = `${o.width}px`;
  o.canvas.style.height = `${o.height}px`;
  let engine: AbstractEngine;
  if (o.kind === "webgpu") {
    if (!("gpu" in navigator) || !navigator.gpu) {
      throw new Error("WebGPU is not available in this browser (navigator.gpu is missing); use the webgl2 engine");
    }
    const gpuEngine = new WebGPUEngine(o.canvas, {
      antialias: false,
      adaptToDeviceRatio: false,
      // rgba8unorm keeps readbacks in RGBA order on every platform (the preferred format is often BGRA).
      swapChainFormat: "rgba8unorm",
      powerPreference: "high-performance",
      // Lets RemasterPostProcess run float16 models where the hardware has it (Babylon keeps only
      // the features the adapter offers; it requests none by default).
      deviceDescriptor: { requiredFeatures: ["shader-f16"] },
    });
    await gpuEngine.initAsync();
    engine = gpuEngine;
  } else {
    const glEngine = new Engine(
      o.canvas,
      false,
      {
        adaptToDeviceRatio: false,
        preserveDrawingBuffer: false,
        stencil: true,
        premultipliedAlpha: false,
        alpha: false,
      },
      false,
    );
    if (glEngine.webGLVersion < 2) {
      glEngine.dispose();
      throw new Error("WebGL2 is not available in this browser");
    }
    engine = glEngine;
  }
  engine.setSize(o.width, o.height);
  return engine;
}
