#!/usr/bin/env node
// Installs what `npm start` / `npm test` need, once: npm packages (npm ci) and Debian's Chromium.
// Runs with Node built-ins only, before any dependency exists.
import { execSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd, opts = {}) => execSync(cmd, { stdio: "inherit", cwd: root, ...opts });
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function ensureNodeModules() {
  const lock = join(root, "package-lock.json");
  const installed = join(root, "node_modules", ".package-lock.json");
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  console.error("setup: installing npm packages (npm ci)");
  // onnxruntime-node ships its CPU binaries in the package; its install script would only try to
  // download optional GPU builds, which cannot work offline.
  run("npm ci --no-audit --no-fund", { env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" } });
}

/** Installs Debian packages when running as root; otherwise names what is missing. */
export function ensureDebianPackages(packages) {
  const missing = packages.filter(({ check }) => !check());
  if (!missing.length) return;
  const names = missing.map((p) => p.name).join(" ");
  if (!isRoot) {
    console.error(`setup: missing Debian package(s): ${names}. Install them with: sudo apt-get install -y ${names}`);
    process.exit(1);
  }
  console.error(`setup: installing Debian package(s): ${names}`);
  run("apt-get update -qq", { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  run(`apt-get install -y -qq --no-install-recommends ${names}`, {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

/**
 * The trainer's virtual environment: training/.venv from the pinned training/requirements.txt
 * (pip's configured indexes; --retries 0 so an unreachable index fails fast), plus the trainer
 * itself in editable mode. Re-installed when requirements.txt changes.
 */
function ensurePythonVenv() {
  const venv = join(root, "training", ".venv");
  const python = join(venv, "bin", "python");
  const req = join(root, "training", "requirements.txt");
  const stamp = join(venv, ".requirements.sha256");
  const want = createHash("sha256").update(readFileSync(req)).digest("hex");
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, "utf8") === want) return;
  console.error("setup: creating the trainer's Python environment (training/.venv)");
  try {
    execSync("python3 -m venv --help", { stdio: "ignore" });
  } catch {
    ensureDebianPackages([{ name: "python3-venv", check: () => false }]);
  }
  if (!existsSync(python)) {
    try {
      run(`python3 -m venv ${JSON.stringify(venv)}`);
    } catch {
      rmSync(venv, { recursive: true, force: true });
      ensureDebianPackages([{ name: "python3-venv", check: () => false }]);
      run(`python3 -m venv ${JSON.stringify(venv)}`);
    }
  }
  run(`${JSON.stringify(python)} -m pip install --retries 0 -q -r ${JSON.stringify(req)}`);
  run(
    `${JSON.stringify(python)} -m pip install --retries 0 -q --no-deps --no-build-isolation -e ${JSON.stringify(join(root, "training"))}`,
  );
  writeFileSync(stamp, want);
}

const want = new Set(process.argv.slice(2));
ensureNodeModules();
if (!want.has("--python-only")) {
  ensureDebianPackages([
    { name: "chromium", check: () => existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium") },
  ]);
}
if (want.has("--python") || want.has("--python-only")) ensurePythonVenv();
