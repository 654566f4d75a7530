/**
 * Folder layouts other tools expect, made from the manifest (hard links, no copies). The trainer
 * and the evaluator read manifest.jsonl itself; these are for img2img-turbo and similar tools:
 * - img2img-turbo paired folders: img2img-turbo/{train_A,train_B,test_A,test_B} (A = low input,
 *   B = high target) with train_prompts.json / test_prompts.json. img2img-turbo validates on
 *   test_*, so our val split goes there; our held-out test split goes to heldout_A / heldout_B.
 * - The instruct-pix2pix column names of the original setup: columns/<split>.jsonl rows with
 *   input_image, edited_image, edit_prompt (paths relative to the dataset root).
 */
import { existsSync, linkSync, mkdirSync, rmSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { EDIT_PROMPT, SPLITS, TURBO_FOLDERS } from "./contract.ts";
import type { ManifestRow } from "./store.ts";
import { writeFileAtomic } from "./store.ts";

function linkOrCopy(from: string, to: string): void {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

export function exportLayouts(dir: string, rows: ManifestRow[]): { turbo: string; columns: string } {
  const turbo = join(dir, "img2img-turbo");
  const columns = join(dir, "columns");
  rmSync(turbo, { recursive: true, force: true });
  mkdirSync(columns, { recursive: true });
  for (const split of SPLITS) {
    const mine = rows.filter((r) => r.split === split).sort((a, b) => a.id.localeCompare(b.id));
    const folder = TURBO_FOLDERS[split];
    const prompts: Record<string, string> = {};
    for (const side of ["A", "B"]) mkdirSync(join(turbo, `${folder}_${side}`), { recursive: true });
    for (const r of mine) {
      const name = `${r.id}.png`;
      linkOrCopy(join(dir, r.files.low), join(turbo, `${folder}_A`, name));
      linkOrCopy(join(dir, r.files.high), join(turbo, `${folder}_B`, name));
      prompts[name] = EDIT_PROMPT;
    }
    writeFileAtomic(join(turbo, `${folder}_prompts.json`), JSON.stringify(prompts, null, 1) + "\n");
    writeFileAtomic(
      join(columns, `${split}.jsonl`),
      mine
        .map(
          (r) =>
            JSON.stringify({ input_image: r.files.low, edited_image: r.files.high, edit_prompt: EDIT_PROMPT }) + "\n",
        )
        .join(""),
    );
  }
  if (!existsSync(turbo)) throw new Error("export failed");
  return { turbo, columns };
}
