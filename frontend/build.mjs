// Bundles the front-end code that needs npm modules into webapp/static/build/ (git-ignored).
// Run by `make assets` (`npm run build`).
//
// Every folder frontend/<name>/ with an index.js becomes webapp/static/build/<name>.js, and the
// CSS it imports becomes webapp/static/build/<name>.css: frontend/modeler/ is the BPMN modeler
// with this product's properties panel. A new bundle needs only its folder.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const SOURCE = 'frontend';
const OUT = 'webapp/static/build';

const entryPoints = {};
for (const entry of readdirSync(SOURCE, { withFileTypes: true })) {
  if (entry.isDirectory() && existsSync(join(SOURCE, entry.name, 'index.js'))) {
    entryPoints[entry.name] = join(SOURCE, entry.name, 'index.js');
  }
}

mkdirSync(OUT, { recursive: true });

const started = Date.now();
await build({
  entryPoints,
  outdir: OUT,
  bundle: true,
  format: 'iife',
  target: ['es2020'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // bpmn-embedded.css names the font files too (for old browsers); the font itself is a data: URI.
  loader: {
    '.eot': 'file',
    '.svg': 'file',
    '.ttf': 'file',
    '.woff': 'file',
    '.woff2': 'file'
  },
  assetNames: 'assets/[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' }
});
console.log(
  `built ${Object.keys(entryPoints).join(', ') || 'nothing'} into ${OUT} in ${Date.now() - started} ms`
);
