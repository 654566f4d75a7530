/**
 * Counts the GPU objects a page creates and destroys, by wrapping the API's prototypes before any
 * engine exists (as remaster-page.ts counts readbacks): WebGPU buffers and textures
 * (GPUDevice.createBuffer/createTexture, GPUBuffer/GPUTexture.destroy); WebGL2 textures, buffers,
 * framebuffers and renderbuffers (createX and deleteX).
 * Objects belong to a generation: the device (WebGPU) or the context's life between two losses
 * (WebGL2). A lost device or context takes its objects with it, so `live` counts the current
 * generation only: created minus destroyed there. Each object is counted destroyed once.
 * WebGL framebuffers and renderbuffers count as textures (attachments), buffers as buffers.
 */
export interface GpuObjectCounts {
  created: number;
  destroyed: number;
  /** Created minus destroyed in the current generation (device / context life). */
  live: number;
  /** Which device / context life these counts are of (1 for the first, +1 per loss). */
  generation: number;
}

type Kind = "buffers" | "textures";

/** Each counted object carries its record itself, a small integer under this symbol: generation * 4,
 * + 2 for a texture, + 1 once destroyed. No side table: the soak measures this page's heap, and
 * WeakMaps/WeakSets keyed by every GPU object grew their hash tables with the effect's buffer churn
 * (with the effect on, ~26 buffers made and destroyed an inference: 1,318 per 500 frames of 49
 * inferences, the control 58; the plugin makes none per frame, so by count onnxruntime-web's),
 * which showed as the page's heap (found with bench:heap-diff's classChanges, 2026-12-07). The
 * record goes with its object. */
const RECORD = Symbol("gpuObjectCounter");
type Recorded = { [RECORD]?: number };
const kindOf = (record: number): Kind => (record & 2 ? "textures" : "buffers");

class Tracker {
  /** "<kind>/<generation>" -> counts */
  private readonly perGen = new Map<string, { created: number; destroyed: number }>();
  created = { buffers: 0, textures: 0 };
  destroyed = { buffers: 0, textures: 0 };
  generation = 1;

  create<T extends object>(obj: T, kind: Kind, generation = this.generation): T {
    (obj as Recorded)[RECORD] = generation * 4 + (kind === "textures" ? 2 : 0);
    this.created[kind]++;
    this.gen(kind, generation).created++;
    return obj;
  }

  destroy(obj: object | null | undefined): void {
    const record = (obj as Recorded | null | undefined)?.[RECORD];
    if (record === undefined || record & 1) return; // not counted, or destroyed already
    (obj as Recorded)[RECORD] = record | 1;
    const kind = kindOf(record);
    this.destroyed[kind]++;
    this.gen(kind, record >> 2).destroyed++;
  }

  /** `obj`'s kind when it is counted, not destroyed and of the current generation; else null. */
  liveKind(obj: unknown): Kind | null {
    const record = obj !== null && typeof obj === "object" ? (obj as Recorded)[RECORD] : undefined;
    if (record === undefined || record & 1 || record >> 2 !== this.generation) return null;
    return kindOf(record);
  }

  private gen(kind: Kind, g: number) {
    const key = `${kind}/${g}`;
    if (!this.perGen.has(key)) this.perGen.set(key, { created: 0, destroyed: 0 });
    return this.perGen.get(key)!;
  }

  counts(kind: Kind, generation = this.generation): GpuObjectCounts {
    const g = this.gen(kind, generation);
    return {
      created: this.created[kind],
      destroyed: this.destroyed[kind],
      live: g.created - g.destroyed,
      generation: generation,
    };
  }
}

export const gpuObjects = new Tracker();

/** WebGPU: a generation per GPUDevice (Babylon makes a new device after a loss). */
const deviceGenerations = new WeakMap<GPUDevice, number>();
let generations = 0;
function generationOf(device: GPUDevice): number {
  if (!deviceGenerations.has(device)) deviceGenerations.set(device, ++generations);
  return deviceGenerations.get(device)!;
}

/** WebGPU: counts of `device`'s generation from now on (call with the engine's current device). */
export function useDevice(device: GPUDevice): void {
  gpuObjects.generation = generationOf(device);
}

/** WebGL2: the context was lost; its objects are gone and later ones belong to its next life. */
export function contextLost(): void {
  gpuObjects.generation++;
}

export function installGpuObjectCounter(): void {
  if ("gpu" in navigator && typeof GPUDevice !== "undefined") {
    const createBuffer = GPUDevice.prototype.createBuffer;
    GPUDevice.prototype.createBuffer = function (d: GPUBufferDescriptor) {
      return gpuObjects.create(createBuffer.call(this, d), "buffers", generationOf(this));
    };
    const createTexture = GPUDevice.prototype.createTexture;
    GPUDevice.prototype.createTexture = function (d: GPUTextureDescriptor) {
      return gpuObjects.create(createTexture.call(this, d), "textures", generationOf(this));
    };
    for (const proto of [GPUBuffer.prototype, GPUTexture.prototype]) {
      const destroy = proto.destroy;
      proto.destroy = function (this: GPUBuffer & GPUTexture) {
        gpuObjects.destroy(this);
        return destroy.apply(this);
      } as typeof destroy;
    }
  }
  const gl = WebGL2RenderingContext.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const pairs: Array<[string, string, Kind]> = [
    ["createTexture", "deleteTexture", "textures"],
    ["createRenderbuffer", "deleteRenderbuffer", "textures"],
    ["createFramebuffer", "deleteFramebuffer", "textures"],
    ["createBuffer", "deleteBuffer", "buffers"],
  ];
  for (const [make, drop, kind] of pairs) {
    const create = gl[make];
    const del = gl[drop];
    gl[make] = function (this: WebGL2RenderingContext) {
      const o = create.call(this) as object | null;
      return o ? gpuObjects.create(o, kind) : o;
    };
    gl[drop] = function (this: WebGL2RenderingContext, o: unknown) {
      gpuObjects.destroy(o as object | null);
      return del.call(this, o);
    };
  }
}
