#!/usr/bin/env node
// Installs what `npm start` / `npm test` need, once: npm packages (npm ci) and Debian's Chromium.
// Runs with Node built-ins only, before any dependency exists.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
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
  run("npm ci --no-audit --no-fund");
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
  run(`apt-get install -y -qq --no-install-recommends ${names}`, { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

ensureNodeModules();
ensureDebianPackages([{ name: "chromium", check: () => existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium") }]);
