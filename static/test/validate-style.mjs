// Validates a MapLibre style with the style spec's own validator:
// node test/validate-style.mjs STYLE.json. Prints each error and
// "N passed, N failed"; exits 1 on any error.
import { readFileSync } from 'node:fs';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

const file = process.argv[2];
if (!file) {
  console.error('usage: node test/validate-style.mjs STYLE.json');
  process.exit(2);
}
const style = JSON.parse(readFileSync(file, 'utf8'));
const errors = validateStyleMin(style);
for (const e of errors) console.log(`FAIL ${e.message}`);
console.log(`style ${style.name ?? file}: ${style.layers?.length ?? 0} layers, ${Object.keys(style.sources ?? {}).length} sources`);
console.log(`${errors.length === 0 ? 1 : 0} passed, ${errors.length === 0 ? 0 : 1} failed`);
process.exit(errors.length === 0 ? 0 : 1);
