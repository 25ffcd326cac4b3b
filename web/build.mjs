// Bundles the dashboard into the Python package's static dir, which the
// FastAPI server serves under /static (the directory is generated and git-ignored).
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(here, "../src/guruconnect/web/static");

await mkdir(outdir, { recursive: true });

await build({
  entryPoints: [resolve(here, "src/main.tsx")],
  outfile: resolve(outdir, "app.js"),
  bundle: true,
  minify: true,
  sourcemap: "linked",
  target: "es2020",
  format: "iife",
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "info",
});

for (const name of ["index.html", "app.css"]) {
  await copyFile(resolve(here, "src", name), resolve(outdir, name));
}
