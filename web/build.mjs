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

// The public support portal at "/": its own small bundle, sharing no code with the
// dashboard, and old-browser friendly (without JavaScript its form still works).
await build({
  entryPoints: [resolve(here, "src/portal/portal.ts")],
  outfile: resolve(outdir, "portal.js"),
  bundle: true,
  minify: true,
  target: "es2017",
  format: "iife",
  legalComments: "none",
  logLevel: "info",
});
await copyFile(resolve(here, "src/portal/portal.css"), resolve(outdir, "portal.css"));

for (const name of ["index.html", "app.css"]) {
  await copyFile(resolve(here, "src", name), resolve(outdir, name));
}

// The API docs page loads Swagger UI from our own /static, never from a CDN:
// servers here often have no Internet access, and a CDN would see our admins.
const swaggerSrc = resolve(here, "node_modules/swagger-ui-dist");
const swaggerOut = resolve(outdir, "swagger");
await mkdir(swaggerOut, { recursive: true });
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]) {
  await copyFile(resolve(swaggerSrc, name), resolve(swaggerOut, name));
}
