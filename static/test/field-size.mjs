// Sizes of the field app (BENCHMARKS.md): its own JavaScript (bundled
// with MapLibre left out) gzipped, beside MapLibre GL JS's, and what a
// first visit transfers (the page and every asset the service worker
// keeps, gzipped as the server sends text). Run after the build:
//   node test/field-size.mjs
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const gz = (b) => gzipSync(b, { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1) + ' KB';

const own = await build({
  entryPoints: [join(root, 'src/field.js')], bundle: true, format: 'esm', minify: true, write: false,
  external: ['maplibre-gl', 'maplibre-gl/*'], loader: { '.css': 'empty' }, target: ['es2022'],
});
const ownJS = own.outputFiles[0].contents;
const ml = await build({ stdin: { contents: "export * from 'maplibre-gl';", resolveDir: root }, bundle: true, format: 'esm', minify: true, write: false, target: ['es2022'] });
const maplibre = ml.outputFiles[0].contents;
const worker = readFileSync(join(root, 'node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs'));
console.log(`field app's own JavaScript: ${kb(ownJS.length)} minified, ${kb(gz(ownJS))} gzipped`);
console.log(`MapLibre GL JS (main + worker): ${kb(maplibre.length + worker.length)}, ${kb(gz(maplibre) + gz(worker))} gzipped`);

const sw = readFileSync(join(root, 'dist/field-sw.js'), 'utf8');
const shell = JSON.parse(/const SHELL = (\[.*\]);/.exec(sw)[1]);
let raw = 0;
let sent = 0;
for (const u of shell) {
  const b = readFileSync(join(root, 'dist', u === '/field' ? 'field.html' : u.slice(1)));
  raw += b.length;
  const z = gz(b);
  sent += z < b.length * 0.9 ? z : b.length; // the server gzips text when it pays
}
for (const f of ['field-sw.js', 'field.webmanifest']) {
  const b = readFileSync(join(root, 'dist', f));
  raw += b.length;
  sent += gz(b);
}
console.log(`first visit (app shell, ${shell.length + 2} files): ${kb(raw)}, ${kb(sent)} transferred; offline start: 0 bytes (all from the service worker's cache)`);
