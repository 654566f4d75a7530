/**
 * The demo page served by `npm start`: one layout rendered from the same camera and frame as
 * low, low + RemasterPostProcess and high, two of them shown with a draggable split. Settings live
 * in the URL query so a view can be shared (?layout=street&seed=3&engine=webgl2&path=2&mode=low|remaster).
 */
import { RemasterPostProcess } from "@remaster/plugin";
import type { AbstractEngine } from "@babylonjs/core/Engines/abstractEngine.js";
import type { EngineKind, QualityPreset } from "./contracts.ts";
import { createEngine } from "./engine.ts";
import { DEMO_LAYOUTS } from "./layouts.ts";
import { seedMathRandom } from "./rng.ts";
import { createSceneInstance, type SceneInstance } from "./sceneInstance.ts";

const WIDTH = 960;
const HEIGHT = 544;
const PATHS = 4;

const params = new URLSearchParams(location.search);
const settings = {
  // `variant` is the old name of `layout` (links shared before the rename still open).
  layout: params.get("layout") ?? params.get("variant") ?? DEMO_LAYOUTS[0],
  seed: Number(params.get("seed") ?? 1),
  engine: (params.get("engine") ?? ("gpu" in navigator ? "webgpu" : "webgl2")) as EngineKind,
  path: Number(params.get("path") ?? 0),
  mode: params.get("mode") ?? "low|remaster",
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $("status");

function fillControls(): void {
  const layout = $<HTMLSelectElement>("layout");
  layout.replaceChildren(...DEMO_LAYOUTS.map((v) => new Option(v, v, false, v === settings.layout)));
  const path = $<HTMLSelectElement>("path");
  path.replaceChildren(
    ...Array.from({ length: PATHS }, (_, i) => new Option(`path ${i}`, String(i), false, i === settings.path)),
  );
  $<HTMLSelectElement>("engine").value = settings.engine;
  $<HTMLSelectElement>("mode").value = settings.mode;
  $<HTMLInputElement>("seed").value = String(settings.seed);
  for (const id of ["layout", "seed", "engine", "path", "mode"]) {
    $(id).addEventListener("change", (e) => {
      params.set(id, (e.target as HTMLInputElement).value);
      location.search = params.toString();
    });
  }
}

type ViewKind = QualityPreset | "remaster";
interface View {
  kind: ViewKind;
  engine: AbstractEngine;
  instance: SceneInstance;
  canvas: HTMLCanvasElement;
  remaster?: RemasterPostProcess;
}

async function main(): Promise<void> {
  fillControls();
  seedMathRandom(settings.seed ^ 0x5eed);
  const kinds = settings.mode.split("|") as ViewKind[];
  const host = $("view");
  const views: View[] = [];
  for (const kind of kinds) {
    const canvas = document.createElement("canvas");
    if (views.length) canvas.className = "after";
    host.appendChild(canvas);
    const engine = await createEngine({ canvas, kind: settings.engine, width: WIDTH, height: HEIGHT });
    const preset: QualityPreset = kind === "high" ? "high" : "low";
    const instance = await createSceneInstance({
      engine,
      source: { kind: "demo", layout: settings.layout, seed: settings.seed },
      variant: preset,
      envUrl: "./assets/photoStudio.env",
    });
    const view: View = { kind, engine, instance, canvas };
    if (kind === "remaster") {
      // The one line a game adds:
      view.remaster = new RemasterPostProcess({ camera: instance.camera });
      instance.scene.addPostProcess(view.remaster);
      view.remaster.onErrorObservable.add((e) => (status.textContent = e.message));
    }
    views.push(view);
    const tag = document.createElement("div");
    tag.className = "tag";
    tag.textContent = kind === "remaster" ? "low + remaster" : kind;
    tag.style[views.length === 1 ? "left" : "right"] = "6px";
    host.appendChild(tag);
  }
  const overlay = document.createElement("div");
  overlay.id = "overlay";
  host.appendChild(overlay);

  let split = 0.5;
  if (views.length === 2) {
    const divider = document.createElement("div");
    divider.id = "divider";
    host.appendChild(divider);
    const place = () => {
      views[1].canvas.style.clipPath = `inset(0 0 0 ${split * 100}%)`;
      divider.style.left = `${split * WIDTH}px`;
    };
    host.addEventListener("pointermove", (e) => {
      if (e.buttons !== 1) return;
      split = Math.min(1, Math.max(0, e.offsetX / WIDTH));
      place();
    });
    place();
  }

  const remasterOn = $<HTMLInputElement>("remasterOn");
  remasterOn.addEventListener("change", () => {
    for (const v of views) if (v.remaster) v.remaster.enabled = remasterOn.checked;
  });
  const frameInput = $<HTMLInputElement>("frame");
  const play = $<HTMLInputElement>("play");
  let frame = 0;
  let lastMs = 0;
  const renderOnce = () => {
    const t0 = performance.now();
    for (const v of views) {
      v.instance.setFrame(frame, v.instance.poseAt(settings.path, frame));
      v.engine.beginFrame();
      v.instance.scene.render();
      v.engine.endFrame();
    }
    lastMs = lastMs * 0.9 + (performance.now() - t0) * 0.1;
    const r = views.find((v) => v.remaster)?.remaster;
    const model = r
      ? `  model ${r.stats.backend} ${r.stats.precision === "float16" ? "fp16" : "fp32"}${r.stats.graphCapture ? " (graph capture)" : ""} ${r.stats.lastInferenceMs.toFixed(1)} ms`
      : "";
    overlay.textContent = `frame ${frame}  frame cpu ${lastMs.toFixed(1)} ms${model}`;
  };
  for (const v of views) await v.instance.warmUp();
  frameInput.addEventListener("input", () => {
    frame = Number(frameInput.value);
    renderOnce();
  });
  const tick = () => {
    if (play.checked) {
      frame = (frame + 1) % (Number(frameInput.max) + 1);
      frameInput.value = String(frame);
    }
    // Keep rendering while paused: the remaster pass shows its last finished inference, and the
    // next ones catch up with the still frame.
    renderOnce();
    requestAnimationFrame(tick);
  };
  renderOnce();
  requestAnimationFrame(tick);
  document.body.dataset.ready = "true";
}

main().catch((e: Error) => {
  status.textContent = e.message;
  console.error(e);
});
