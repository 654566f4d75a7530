/**
 * The renderer -> trainer dataset contract, from the one JSON file both sides read
 * (training/remaster/dataset_contract.json; the Python reader is training/remaster/dataset.py).
 * manifest.jsonl is the file every reader reads; the img2img-turbo and column exports are for
 * other tools.
 */
import contract from "../../remaster/dataset_contract.json" with { type: "json" };

export type Split = "train" | "val" | "test";

/** Current manifest/dataset.json format. 1: the demo layout was called `variant`. */
export const FORMAT_VERSION: number = contract.manifestFormat;
export const SPLITS = contract.splits as readonly Split[];
/** img2img-turbo folder prefix per split (it validates on test_*, so our val split goes there). */
export const TURBO_FOLDERS = contract.turboFolders as Record<Split, string>;
export const EDIT_PROMPT: string = contract.editPrompt;
/** Render times per pair ({id, renderMs} lines): measurements, outside the deterministic manifest. */
export const TIMINGS_FILE: string = contract.timingsFile;
/** Old key -> new key, in manifest rows and in dataset.json. */
export const LEGACY_ROW_KEYS: Record<string, string> = contract.legacyRowKeys;
export const LEGACY_IDENTITY_KEYS: Record<string, string> = contract.legacyIdentityKeys;
