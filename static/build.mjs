// Builds the web pages into dist/ for the Go binary to embed: each
// pages/NAME.html with src/NAME.js bundled by esbuild (MapLibre GL JS and
// everything else from node_modules, nothing from a CDN), assets under
// dist/assets/ with content-hashed names. Run: npm ci && npm run build.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const assets = join(dist, 'assets');

// Inputs of the build: when none changed since the last one, dist/ stays
// as it is (other go builds may be embedding it right now).
// (src/ with its subfolders: the editor's modules are in src/editor/.)
const inputs = ['package-lock.json', 'build.mjs', ...['pages', 'src'].flatMap((d) => readdirSync(join(here, d), { recursive: true }).map((f) => join(d, f)))]
  .filter((f) => statSync(join(here, f)).isFile())
  .sort();
const stamp = createHash('sha256');
for (const f of inputs) stamp.update(f).update(readFileSync(join(here, f)));
const digest = stamp.digest('hex');
const stampFile = join(dist, '.build-stamp');
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === digest && process.argv[2] !== '--force') {
  console.log('static: dist/ is up to date');
  process.exit(0);
}
mkdirSync(assets, { recursive: true });

const pages = readdirSync(join(here, 'pages')).filter((f) => f.endsWith('.html')).map((f) => basename(f, '.html'));
const result = await build({
  entryPoints: pages.map((p) => join(here, 'src', p + '.js')),
  bundle: true,
  format: 'esm',
  splitting: true,
  target: ['es2022', 'chrome100', 'firefox100', 'safari16'],
  minify: true,
  sourcemap: false,
  outdir: assets,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

// name → hashed file, for the pages' {{asset:NAME}} placeholders.
const names = {};
for (const [out, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint && !meta.cssBundle) continue;
  const file = basename(out);
  if (meta.entryPoint) {
    names[basename(meta.entryPoint)] = file;
    if (meta.cssBundle) names[basename(meta.entryPoint, '.js') + '.css'] = basename(meta.cssBundle);
  }
}

// MapLibre's worker is a module of its own; copy it under a hashed name.
const workerSrc = join(here, 'node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs');
const hash = createHash('sha256').update(readFileSync(workerSrc)).digest('hex').slice(0, 8).toUpperCase();
const worker = `maplibre-gl-worker-${hash}.mjs`;
copyFileSync(workerSrc, join(assets, worker));
names['maplibre-gl-worker'] = worker;

// The field app's icon under a hashed name, for its page and manifest.
{
  const icon = readFileSync(join(here, 'src/field/icon.svg'));
  const name = `field-icon-${createHash('sha256').update(icon).digest('hex').slice(0, 8).toUpperCase()}.svg`;
  writeFileSync(join(assets, name), icon);
  names['field-icon.svg'] = name;
}

// New assets are in place (hashed names never clash); now the pages, each
// replaced in one rename; then the assets no page names any more.
const used = new Set(Object.values(names));
// With more than one page, code they share is split into chunks the
// entries import: keep those too.
for (let n = -1; n !== used.size; ) {
  n = used.size;
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    if (!used.has(basename(out))) continue;
    for (const imp of meta.imports) if (!imp.external) used.add(basename(imp.path));
  }
}
for (const p of pages) {
  const html = readFileSync(join(here, 'pages', p + '.html'), 'utf8').replace(/\{\{asset:([^}]+)\}\}/g, (_, n) => {
    if (!names[n]) throw new Error(`pages/${p}.html: no asset ${n} (have ${Object.keys(names).join(', ')})`);
    return '/assets/' + names[n];
  });
  writeFileSync(join(dist, p + '.html.tmp'), html);
  renameSync(join(dist, p + '.html.tmp'), join(dist, p + '.html'));
}
for (const f of readdirSync(dist)) {
  if (f.endsWith('.html') && !pages.includes(basename(f, '.html'))) rmSync(join(dist, f));
}

// The field app's web manifest and service worker: the worker caches the
// page and every asset it loads (its entry, the chunks it imports, its
// CSS, MapLibre's worker, the icon), named here so it starts offline.
{
  const shell = new Set(['/field']);
  const add = (file) => {
    if (shell.has('/assets/' + file)) return;
    shell.add('/assets/' + file);
    const meta = result.metafile.outputs[Object.keys(result.metafile.outputs).find((o) => basename(o) === file)];
    for (const imp of meta?.imports ?? []) if (!imp.external) add(basename(imp.path));
  };
  for (const n of ['field.js', 'field.css', 'maplibre-gl-worker', 'field-icon.svg']) add(names[n]);
  const list = [...shell].sort();
  const version = createHash('sha256').update(list.join('\n')).digest('hex').slice(0, 12);
  const sw = readFileSync(join(here, 'src/field/sw.js'), 'utf8').replace("'__VERSION__'", JSON.stringify(version)).replace('__SHELL__', JSON.stringify(list));
  writeFileSync(join(dist, 'field-sw.js'), sw);
  const icon = '/assets/' + names['field-icon.svg'];
  writeFileSync(join(dist, 'field.webmanifest'), JSON.stringify({
    name: '网格员 · gridmap', short_name: '网格员', lang: 'zh-CN', start_url: '/field', scope: '/field', display: 'standalone',
    orientation: 'portrait', background_color: '#ffffff', theme_color: '#0b3d91',
    icons: [{ src: icon, sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
  }, null, 1));
}
let total = 0;
for (const f of readdirSync(assets)) {
  const keep = used.has(f) || used.has(f.replace(/\.LEGAL\.txt$/, ''));
  if (!keep) rmSync(join(assets, f));
  else total += readFileSync(join(assets, f)).length;
}
writeFileSync(stampFile, digest);
console.log(`static: built ${pages.map((p) => p + '.html').join(', ')}; assets ${(total / 1024).toFixed(0)} KiB in dist/assets`);
