/**
 * Pearson's chi-square goodness-of-fit test, for the statistical tests of the balancers (not used at run time).
 * `expected` are proportions (they need not sum to 1); a cell expected never must be observed never.
 */
export function chiSquare(observed: readonly number[], expected: readonly number[]): { statistic: number; df: number; pValue: number } {
  const n = observed.reduce((a, b) => a + b, 0);
  const sum = expected.reduce((a, b) => a + b, 0);
  let statistic = 0;
  let cells = 0;
  expected.forEach((p, i) => {
    const o = observed[i] ?? 0;
    if (p === 0) {
      if (o !== 0) statistic = Infinity;
      return;
    }
    const e = (n * p) / sum;
    statistic += (o - e) ** 2 / e;
    cells++;
  });
  const df = cells - 1;
  return { statistic, df, pValue: df < 1 ? 1 : upperGamma(df / 2, statistic / 2) };
}

/** `chiSquare` with the critical value at significance `p` (default 0.001) for its degrees of freedom. */
export function chiSquareFit(observed: readonly number[], expected: readonly number[], p = 0.001) {
  const result = chiSquare(observed, expected);
  return { ...result, critical: result.df < 1 ? Infinity : chiSquareCritical(result.df, p) };
}

/** The statistic above which a fit is rejected at significance `p` with `df` degrees of freedom. */
export function chiSquareCritical(df: number, p: number): number {
  let lo = 0;
  let hi = df + 20 * Math.sqrt(2 * df) + 50;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (upperGamma(df / 2, mid / 2) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Q(a, x), the regularized upper incomplete gamma function: a series below a + 1, a continued fraction above. */
function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  const front = Math.exp(a * Math.log(x) - x - logGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let k = 1; k < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; k++) sum += term *= x / (a + k);
    return 1 - sum * front;
  }
  // Modified Lentz's method.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let k = 1; k < 1000; k++) {
    const an = -k * (k - a);
    b += 2;
    d = an * d + b;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    h *= d * c;
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return front * h;
}

/** ln Γ(x) for x > 0, by the Lanczos approximation (g = 7, n = 9). */
function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}
