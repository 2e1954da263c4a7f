/** MOSN's host weights: integers from 1 to 128 (its hosts reader clamps anything else). */
export const MIN_HOST_WEIGHT = 1;
export const MAX_HOST_WEIGHT = 128;

/** The largest multiplier tried to turn fractional weights into integers. */
const MAX_MULTIPLIER = 1000;

/**
 * Exact (possibly fractional, possibly large) weights → integers in 1..128 with the same ratios, or as close as
 * integers allow. Exact when the smallest multiplier (up to 1000) that makes every weight an integer, after
 * dividing by their common divisor, leaves them within 128 (weights 3 and 5 stay 3 and 5; 200 and 600 become 1
 * and 3; 0.5, 0.5 and 1 become 1, 1 and 2). Else scaled so that the largest is 128, rounded (at least 1), and
 * divided by their common divisor. `approximate`: some weight's ratio to the largest is off by more than 5%.
 */
export function integerWeights(exact: readonly number[]): { weights: number[]; approximate: boolean } {
  if (exact.length === 0) return { weights: [], approximate: false };
  const max = Math.max(...exact);
  if (!(max > 0)) return { weights: exact.map(() => MIN_HOST_WEIGHT), approximate: false };
  for (let m = 1; m <= MAX_MULTIPLIER; m++) {
    const scaled = exact.map((w) => w * m);
    if (!scaled.every((w) => Math.abs(w - Math.round(w)) < 1e-6 * Math.max(1, w) && Math.round(w) >= MIN_HOST_WEIGHT)) continue;
    const weights = reduce(scaled.map((w) => Math.round(w)));
    if (Math.max(...weights) <= MAX_HOST_WEIGHT) return { weights, approximate: false };
    break;
  }
  const rounded = exact.map((w) => Math.max(MIN_HOST_WEIGHT, Math.round((w / max) * MAX_HOST_WEIGHT)));
  const approximate = exact.some((w, i) => Math.abs(rounded[i]! / MAX_HOST_WEIGHT - w / max) / (w / max) > 0.05);
  return { weights: reduce(rounded), approximate };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Divided by their greatest common divisor: 128, 128 → 1, 1. */
function reduce(weights: number[]): number[] {
  const d = weights.reduce(gcd);
  return d > 1 ? weights.map((w) => w / d) : weights;
}
