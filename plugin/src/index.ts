export { RemasterPostProcess, DEFAULT_MODEL_URL, DEFAULT_WASM_PATHS, type RemasterStats } from "./RemasterPostProcess.ts";
export type { RemasterOptions, RemasterBackend } from "./core/options.ts";
export { checkContract, readOnnxMetadata, ModelError, type ModelContract } from "./core/modelMetadata.ts";
