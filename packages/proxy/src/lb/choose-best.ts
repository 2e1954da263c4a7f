import type { Host } from '../upstream/cluster.js';

/**
 * The power of d choices (Mitzenmacher): the best of `choices` hosts drawn at random, with replacement as in Envoy
 * and MOSN. With no more hosts than `choices` every host is compared instead, from a random start so that ties
 * spread. `better(a, b)` says whether `a` is strictly preferable to `b`.
 */
export function chooseBest(hosts: readonly Host[], choices: number, random: () => number, better: (a: Host, b: Host) => boolean): Host | undefined {
  const n = hosts.length;
  if (n === 0) return undefined;
  const scanAll = n <= choices;
  const start = Math.floor(random() * n);
  let best = hosts[start]!;
  for (let i = 1; i < (scanAll ? n : choices); i++) {
    const h = hosts[scanAll ? (start + i) % n : Math.floor(random() * n)]!;
    if (better(h, best)) best = h;
  }
  return best;
}
