#!/usr/bin/env node
// The functions with the most self time in a V8 .cpuprofile (node --cpu-prof):
//   node cpuprofile-top.mjs <file.cpuprofile> [count, default 10]
// Two lists: (1) self time per function (the sampled leaf), merged by function, file and line; (2) the same
// samples charged to the nearest mosn-ts frame (a file under packages/) on the stack, so that time in native
// code and node internals (socket writes, Buffer allocation) is shown against the mosn function that caused it.
// Percentages are of the busy time: samples in "(idle)" (waiting for I/O) are left out.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [file, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 10);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

function shorten(url) {
  const p = url.replace(/^file:\/\//, '');
  const i = p.indexOf('/packages/');
  if (i >= 0) return p.slice(i + 1);
  if (p.startsWith('node:')) return p;
  return path.basename(p);
}
const nameOf = (f) => `${f.functionName || '(anonymous)'}  ${f.url ? `${shorten(f.url)}:${f.lineNumber + 1}` : '(native)'}`;
const isMosn = (f) => f.url.includes('/packages/');

const self = new Map();
let idle = 0;
const charged = new Map();
let total = 0;
const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
for (let i = 0; i < profile.samples.length; i++) {
  const us = profile.timeDeltas[i + 1] ?? 0; // the time until the next sample is spent in this one
  const leaf = nodeById.get(profile.samples[i]);
  if (leaf.callFrame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  add(self, nameOf(leaf.callFrame), us);
  let id = leaf.id;
  while (id !== undefined && !isMosn(nodeById.get(id).callFrame)) id = parentOf.get(id);
  add(charged, id === undefined ? `${nameOf(leaf.callFrame)}  [no mosn frame on the stack]` : nameOf(nodeById.get(id).callFrame), us);
  total += us;
}

const print = (title, map) => {
  console.log(title);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  }
};
console.log(`${((total + idle) / 1e6).toFixed(1)} s sampled, ${(total / 1e6).toFixed(1)} s busy (percentages are of busy time)`);
print('self time:', self);
print('self time charged to the nearest mosn-ts frame:', charged);
