// Small statistics and formatting helpers shared by the benchmark sections.

/** Nearest-rank percentile of an unsorted array (p in 0..100). */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50, p95, min, max, mean and the count of a sample. */
export function summary(values) {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  return {
    n,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    min: n ? Math.min(...values) : NaN,
    max: n ? Math.max(...values) : NaN,
    mean,
  };
}

/** Rounds every number in a (nested) object to `digits` significant-ish decimals for JSON. */
export function rounded(value, digits = 4) {
  if (typeof value === "number") return Number.isFinite(value) ? Number(value.toPrecision(digits + 2)) : value;
  if (Array.isArray(value)) return value.map((v) => rounded(v, digits));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v, digits)]));
  }
  return value;
}

export const ms = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
export const kb = (bytes) => (bytes / 1024).toFixed(1);
export const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×` : "–");

/** A plain-text table: rows of cells, first row the header; numbers right-aligned. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? "").length)));
  const line = (r) => r.map((c, i) => {
    const s = String(c ?? "");
    return /^[-+]?[\d.,]+\s*(×|%|ms|µs|KB|B)?$/.test(s) ? s.padStart(widths[i]) : s.padEnd(widths[i]);
  }).join("  ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}
