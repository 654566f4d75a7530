/**
 * Fault injection for the kill tests (test/e2e/dataset-kills.test.ts): with
 * REMASTER_KILL_AT=<point>:<n> in the environment, the n-th time this process reaches <point> it
 * SIGKILLs its process group (tsx's wrapper, this node process; Chromium exits with its pipe),
 * mid-write: a real crash at a moment a timer from outside could not hit. Test-only: without the
 * variable a point costs one comparison.
 *   png-write        an image's temp file half written (before its rename)
 *   manifest-append  a manifest row half appended (a torn last line)
 */
export type KillPoint = "png-write" | "manifest-append";

const [wanted, nth] = (process.env.REMASTER_KILL_AT ?? "").split(":");
let reached = 0;

export function killPoint(point: KillPoint): void {
  if (point !== wanted || ++reached !== Number(nth)) return;
  process.kill(0, "SIGKILL"); // pid 0: this process's group (kill(2))
}
