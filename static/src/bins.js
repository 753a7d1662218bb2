// Class breaks for the choropleth: grids with no incident are class 0, the
// others fall in up to five classes cut at "nice" quantiles of the
// non-zero counts, so a wall shows where incidents concentrate whatever
// the window.

const nice = [1, 2, 2.5, 5, 10];

// niceCeil rounds n up to 1, 2, 2.5 or 5 times a power of ten (n ≥ 1),
// keeping small counts exact.
function niceCeil(n) {
  if (n <= 10) return Math.ceil(n);
  const p = Math.pow(10, Math.floor(Math.log10(n)));
  for (const m of nice) {
    const v = m * p;
    if (v >= n && Number.isInteger(v)) return v;
  }
  return 10 * p;
}

// breaks returns the ascending upper bounds of classes 1..k (k ≤ classes)
// for the counts; the last is the largest count. Empty when all are zero.
export function breaks(counts, classes = 5) {
  const nz = counts.filter((c) => c > 0).sort((a, b) => a - b);
  if (nz.length === 0) return [];
  const max = nz[nz.length - 1];
  if (max <= classes) {
    const out = [];
    for (let v = 1; v <= max; v++) out.push(v);
    return out;
  }
  const out = [];
  for (let i = 1; i < classes; i++) {
    const q = nz[Math.max(0, Math.ceil((i / classes) * nz.length) - 1)];
    const b = Math.min(niceCeil(q), max - 1);
    if (b >= 1 && (out.length === 0 || b > out[out.length - 1])) out.push(b);
  }
  out.push(max);
  return out;
}

// bin returns the class of count c for the breaks: 0 for no incident.
export function bin(c, bs) {
  if (!(c > 0)) return 0;
  for (let i = 0; i < bs.length; i++) if (c <= bs[i]) return i + 1;
  return bs.length;
}

// ranges returns [lo, hi] of each class 1..k for a legend.
export function ranges(bs) {
  return bs.map((hi, i) => [i === 0 ? 1 : bs[i - 1] + 1, hi]);
}
