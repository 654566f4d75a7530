/**
 * Which model file runs, at which precision, and fetching it. Engine-free (tested in Node).
 *
 * Policy: float16 needs the WebGPU backend with `shader-f16` on Babylon's device. `auto` uses the
 * float16 twin there and float32 elsewhere, noting why; `fp16` where it cannot run is an error;
 * `fp32` never runs a float16 file. Every model's metadata is checked against the contract.
 */
import { checkContract, readOnnxMetadata, type ModelContract } from "./modelMetadata.ts";
import type { RemasterPrecision } from "./options.ts";

export interface ModelChoice {
  /** `webgpu` or `wasm`: float16 is WebGPU-only. */
  backend: "webgpu" | "wasm";
  /** Whether Babylon's GPUDevice has the `shader-f16` feature (false on the WASM backend). */
  shaderF16: boolean;
  precision: RemasterPrecision;
  model: string | Uint8Array;
  modelFp16: string | Uint8Array | null;
}

export interface LoadedModel {
  bytes: Uint8Array;
  contract: ModelContract;
  /** Why float16 was not used although precision was `auto` (empty when it was, or not asked). */
  precisionNote: string;
}

export type Fetcher = (url: string) => Promise<Response>;

const HOW_TO_F16 = {
  webgpu:
    "Babylon's GPUDevice lacks the 'shader-f16' feature (create the WebGPUEngine with deviceDescriptor: { requiredFeatures: ['shader-f16'] } or enableAllFeatures: true, on hardware that has it)",
  wasm: "float16 models run on the WebGPU backend only",
};

/** Picks, fetches and checks the model for `c`. Errors name the file and the reason. */
export async function loadModel(c: ModelChoice, fetcher: Fetcher = fetch): Promise<LoadedModel> {
  const f16 = c.backend === "webgpu" && c.shaderF16;
  const howToF16 = HOW_TO_F16[c.backend];
  if (c.precision === "fp16" && !f16)
    throw new Error(`RemasterPostProcess: precision 'fp16' is not possible: ${howToF16}`);
  const load = async (m: string | Uint8Array) => {
    const bytes = await fetchModel(m, fetcher);
    return { bytes, contract: checkContract(readOnnxMetadata(bytes)) };
  };
  let precisionNote = "";
  if (f16 && c.precision !== "fp32" && c.modelFp16 !== null) {
    try {
      const r = await load(c.modelFp16);
      if (r.contract.dtype !== "float16")
        throw new Error(`RemasterPostProcess: modelFp16 is a ${r.contract.dtype} model, not float16`);
      return { ...r, precisionNote };
    } catch (e) {
      if (c.precision === "fp16") throw e;
      precisionNote = `float16 model unavailable (${(e as Error).message}); running float32`;
    }
  } else if (c.precision === "auto" && !f16) {
    precisionNote = `running float32: ${howToF16}`;
  }
  const r = await load(c.model);
  if (r.contract.dtype === "float16" && (!f16 || c.precision === "fp32")) {
    throw new Error(
      `RemasterPostProcess: the model is float16 but ${c.precision === "fp32" ? "precision is 'fp32'" : howToF16}; use the float32 file`,
    );
  }
  return { ...r, precisionNote };
}

/** The model's bytes: given as bytes, or fetched (an error names the URL and the HTTP status). */
export async function fetchModel(m: string | Uint8Array, fetcher: Fetcher = fetch): Promise<Uint8Array> {
  if (m instanceof Uint8Array) return m;
  let res: Response;
  try {
    res = await fetcher(m);
  } catch (e) {
    throw new Error(`RemasterPostProcess: could not fetch the model ${m}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new Error(`RemasterPostProcess: could not fetch the model ${m}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}
