// Small numeric and printing helpers of the reliability scripts.

/** The `q` quantile (0..1) of `values` (nearest rank); NaN for none. */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Least squares over points `{x, y}`: slope and intercept (NaN with fewer than two distinct x). */
export function leastSquares(points) {
  const n = points.length;
  if (n < 2) return { slope: NaN, intercept: NaN };
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  const slope = sxx === 0 ? NaN : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** `n` with `digits` decimals, or `-` for NaN/undefined. */
export function fmt(n, digits = 1) {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

/** A plain-text table: `rows` of cells (strings), the first row the header, columns padded to their widest cell. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** Parse `--name value` and `--flag` arguments against `defaults` (numbers stay numbers); unknown names throw. */
export function parseFlags(argv, defaults, usage) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument ${a}\n${usage}`);
    const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown flag --${m[1]}\n${usage}`);
    const d = defaults[key];
    if (typeof d === 'boolean') {
      out[key] = m[2] === undefined ? true : m[2] !== 'false';
      continue;
    }
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new Error(`--${m[1]} needs a value\n${usage}`);
    out[key] = typeof d === 'number' ? Number(v) : v;
    if (typeof d === 'number' && !Number.isFinite(out[key])) throw new Error(`--${m[1]}: not a number: ${v}`);
  }
  return out;
}

/**
 * A well-behaved client's calls at a fixed pace (`rate` a second, one at a time: a slow answer delays the next
 * call, never piles them up): each call's latency (ms) and the time it was made, its failures.
 */
export function pacedCalls(call, rate) {
  const samples = [];
  const failures = [];
  let stopped = false;
  const gap = 1000 / rate;
  const done = (async () => {
    let next = performance.now();
    while (!stopped) {
      const at = performance.now();
      try {
        await call();
        samples.push({ at: Date.now(), ms: performance.now() - at });
      } catch (e) {
        failures.push({ at: Date.now(), error: String(e?.message ?? e) });
      }
      next += gap;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else next = performance.now();
    }
  })();
  return {
    samples,
    failures,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** Latencies (ms) of the samples made in [from, to). */
export function latenciesIn(samples, from, to = Infinity) {
  return samples.filter((s) => s.at >= from && s.at < to).map((s) => s.ms);
}
