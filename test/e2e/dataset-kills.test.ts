/**
 * The dataset job under repeated crashes: SIGKILLed at 20 moments (seeded, printed), resumed with
 * the same command each time, it ends with the same bytes as an uninterrupted run of that
 * command: every PNG, the manifest, dataset.json. The moments mix
 *   render           a random delay after a pair was committed (a render or a readback in flight)
 *   png-write:n      the n-th image's temp file half written (training/src/dataset/faults.ts)
 *   manifest-append  the first row half appended: a torn last line
 * timings.jsonl (render times, measurements) is the one file left out of the comparison.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const cli = join(root, "training/src/dataset/cli.ts");
const tsx = join(root, "node_modules/.bin/tsx");
const KILLS = 20;
const PAIRS = 24;

function rows(out: string): number {
  const p = join(out, "manifest.jsonl");
  return existsSync(p)
    ? readFileSync(p, "utf8")
        .split("\n")
        .filter((l) => l.endsWith("}")).length
    : 0;
}

/** Every file under dir (bar timings.jsonl) -> sha256. */
function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name !== "timings.jsonl")
        out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kill = { kind: "render"; delayMs: number } | { kind: "png-write" | "manifest-append"; nth: number };

/** One run of the command, killed as `kill` says. Resolves with how it ended. */
function runKilled(args: string[], out: string, kill: Kill): Promise<{ killed: boolean; stderr: string }> {
  const env = { ...process.env };
  if (kill.kind !== "render") env.REMASTER_KILL_AT = `${kill.kind}:${kill.nth}`;
  const child = spawn(tsx, args, { cwd: root, env, stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  let timer: NodeJS.Timeout | undefined;
  if (kill.kind === "render") {
    const start = rows(out);
    // Once this run has committed a pair, wait the random delay: the next pair is rendering.
    timer = setInterval(() => {
      if (rows(out) > start) {
        clearInterval(timer);
        timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), kill.delayMs);
      }
    }, 20);
  }
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      clearInterval(timer);
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, "SIGKILL"); // Chromium, should it outlive node
      } catch {
        // the group is gone already
      }
      resolve({ killed: signal === "SIGKILL" || code === 137, stderr });
    });
  });
}

test(
  `dataset CLI: SIGKILLed at ${KILLS} moments and resumed, byte-identical to one run`,
  { timeout: 900_000 },
  async (t) => {
    const base = mkdtempSync(join(tmpdir(), "remaster-kills-"));
    const argsFor = (out: string) => [
      cli,
      ...["--pairs", String(PAIRS), "--size", "64", "--out", out, "--workers", "1", "--paths", "2"],
      ...["--no-export", "--quiet"],
    ];
    const straight = join(base, "straight");
    const once = spawnSync(tsx, argsFor(straight), { cwd: root, encoding: "utf8", timeout: 300_000 });
    assert.equal(once.status, 0, once.stderr);

    const seed = Number(process.env.REMASTER_KILL_SEED ?? Date.now() % 100_000);
    const rand = mulberry32(seed);
    const killed = join(base, "killed");
    const log: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      // Each pair writes 3 images (low, high, mask): png-write:1..3 dies inside the first pair.
      const r = i < 3 ? [0, 0.5, 0.9][i] : rand(); // one of each kind first, then at random
      const kill: Kill =
        r < 0.4
          ? { kind: "render", delayMs: Math.round(rand() * 150) }
          : r < 0.75
            ? { kind: "png-write", nth: 1 + Math.floor(rand() * 3) }
            : { kind: "manifest-append", nth: 1 };
      const before = rows(killed);
      const run = await runKilled(argsFor(killed), killed, kill);
      log.push(`${JSON.stringify(kill)}: ${before} -> ${rows(killed)} rows`);
      assert.ok(
        run.killed,
        `seed ${seed}, kill ${i} (${JSON.stringify(kill)}) did not happen:\n${log.join("\n")}\n${run.stderr}`,
      );
      assert.ok(rows(killed) < PAIRS, `seed ${seed}: the dataset completed before kill ${i}: ${log.join("\n")}`);
    }
    t.diagnostic(`seed ${seed} (REMASTER_KILL_SEED to repeat): ${log.join("; ")}`);
    const last = spawnSync(tsx, argsFor(killed), { cwd: root, encoding: "utf8", timeout: 300_000 });
    assert.equal(last.status, 0, last.stderr);

    const a = digest(straight);
    const b = digest(killed);
    assert.deepEqual(Object.keys(b), Object.keys(a), `seed ${seed}: other files (${log.join("; ")})`);
    const differ = Object.keys(a).filter((k) => a[k] !== b[k]);
    assert.deepEqual(differ, [], `seed ${seed}: files differ after ${KILLS} kills:\n${log.join("\n")}`);
    assert.ok(Object.keys(a).filter((k) => k.endsWith(".png")).length === PAIRS * 3);
  },
);
