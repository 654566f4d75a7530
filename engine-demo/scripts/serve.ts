// `npm start`: serves the built demo on localhost and prints the URL.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startStaticServer } from "../node/server.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT ?? 8080);
const { url } = await startStaticServer({
  mounts: { "/": join(root, "dist"), "/models/": join(root, "../models") },
  port,
});
console.log(`Remaster demo: ${url}  (Ctrl+C to stop; ?engine=webgl2 for the WebGL2 engine)`);
