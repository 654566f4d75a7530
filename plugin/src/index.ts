export {
  RemasterPostProcess,
  DEFAULT_MODEL_URL,
  DEFAULT_MODEL_FP16_URL,
  DEFAULT_WASM_PATHS,
  type RemasterStats,
} from "./RemasterPostProcess.ts";
export type { RemasterOptions, RemasterBackend, RemasterPrecision } from "./core/options.ts";
export {
  checkContract,
  readOnnxMetadata,
  readOnnxInputDims,
  ModelError,
  type ModelContract,
} from "./core/modelMetadata.ts";
/** onnxruntime sessions created and released on this page, over every effect (for leak checks). */
export { queueStats, sessionCounts, testFaults } from "./core/ort.ts";
