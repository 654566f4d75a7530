/**
 * A small static file server for the built demo (engine-demo/dist), bound to loopback only.
 * Sends COOP/COEP so pages are cross-origin isolated (onnxruntime-web's WASM threads need it).
 * Node-side module: not bundled into the pages.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".env": "application/octet-stream",
  ".glb": "model/gltf-binary",
  ".gltf": "model/gltf+json",
  ".bin": "application/octet-stream",
  ".png": "image/png",
  ".css": "text/css",
};

export interface StaticServerOptions {
  /** Directories served, first match wins: { "/": distDir, "/models/": modelsDir }. */
  mounts: Record<string, string>;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface StaticServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function startStaticServer(o: StaticServerOptions): Promise<StaticServer> {
  const mounts = Object.entries(o.mounts).sort((a, b) => b[0].length - a[0].length);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const root = resolve(dir);
      let file = normalize(join(root, path.slice(prefix.length)));
      if (file !== root && !file.startsWith(root + sep)) break; // no escaping the mount
      try {
        if (statSync(file).isDirectory()) file = join(file, "index.html");
        const size = statSync(file).size;
        res.writeHead(200, {
          "content-type": MIME[extname(file)] ?? "application/octet-stream",
          "content-length": size,
          "cross-origin-opener-policy": "same-origin",
          "cross-origin-embedder-policy": "require-corp",
          "cache-control": "no-cache",
        });
        createReadStream(file).pipe(res);
        return;
      } catch {
        continue;
      }
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end(`not found: ${path}`);
  });
  const host = o.host ?? "127.0.0.1";
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(o.port ?? 0, host, () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : o.port;
      ok({ url: `http://${host}:${port}/`, server, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
