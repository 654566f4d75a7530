/**
 * The few private fields of RemasterPostProcess that the test pages (remaster-page.ts, soak-page.ts)
 * read to check what the effect leaves in Babylon's caches; never used by the plugin or a game.
 * Each reader returns null when the field is absent (no result yet, or the plugin's internals changed).
 */
import type { RemasterPostProcess } from "@remaster/plugin";

type Texture = { getInternalTexture(): { uniqueId: number } | null };
type Privates = { runner?: { result?: Texture | null } | null; blank?: Texture };

/** The uniqueId of the effect's current result texture (a wrapped GPUTexture, outside Babylon's texture list). */
export function resultTextureId(effect: RemasterPostProcess | null): number | null {
  return (effect as unknown as Privates | null)?.runner?.result?.getInternalTexture()?.uniqueId ?? null;
}

/** The uniqueId of the blank texture the composite binds while there is no result. */
export function blankTextureId(effect: RemasterPostProcess | null): number | null {
  return (effect as unknown as Privates | null)?.blank?.getInternalTexture()?.uniqueId ?? null;
}
