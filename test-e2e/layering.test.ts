import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

// The four layers, bottom to top; arrows point down only. A layer depends on the one directly below.
const LAYERS = ['@mosn/net', '@mosn/protocol', '@mosn/stream', '@mosn/proxy', 'mosn'];
const isProtocolPlugin = (name: string) => /^@mosn\/protocol-[a-z0-9-]+$/.test(name);
// A stream filter package (`third_part_stream_filter`) sits beside the runtime that loads it: it uses mosn's types
// only, so it names mosn as a peer dependency (the mosn that loads it), never as a dependency of its own.
const isFilterPlugin = (name: string) => /^@mosn\/filter-[a-z0-9-]+$/.test(name);
// Config sources beside the layers (xDS, the ZooKeeper registry): they depend on no workspace package and produce
// MOSN's JSON or plain values; only the runtime uses them.
const CONFIG_SOURCES = ['@mosn/xds', '@mosn/registry-zookeeper'];

interface Pkg {
  dir: string;
  name: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  references: string[];
}

function packages(): Pkg[] {
  const root = join(REPO_ROOT, 'packages');
  return readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory())
    .map((d) => {
      const pkg = JSON.parse(readFileSync(join(root, d, 'package.json'), 'utf8'));
      const ts = JSON.parse(readFileSync(join(root, d, 'tsconfig.json'), 'utf8'));
      return {
        dir: join(root, d),
        name: pkg.name,
        dependencies: pkg.dependencies ?? {},
        devDependencies: pkg.devDependencies ?? {},
        peerDependencies: pkg.peerDependencies ?? {},
        references: (ts.references ?? []).map((r: { path: string }) => r.path.replace(/^\.\.\//, '')),
      };
    });
}

/** The workspace packages a package may depend on. */
function allowed(name: string, all: string[]): string[] {
  if (isProtocolPlugin(name)) return ['@mosn/protocol'];
  if (isFilterPlugin(name)) return ['mosn'];
  if (CONFIG_SOURCES.includes(name)) return [];
  const i = LAYERS.indexOf(name);
  if (i < 0) return [];
  const below = i === 0 ? [] : [LAYERS[i - 1]!];
  // The runtime is the composition root: it also registers the protocol plugin packages.
  if (name === 'mosn') below.push(...all.filter(isProtocolPlugin), ...CONFIG_SOURCES);
  return below;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('layering: arrows point down only', () => {
  const pkgs = packages();
  const names = pkgs.map((p) => p.name);
  const workspace = (n: string) => names.includes(n);

  it('knows every package', () => {
    for (const l of LAYERS) expect(names).toContain(l);
    for (const n of names) expect(LAYERS.includes(n) || isProtocolPlugin(n) || isFilterPlugin(n) || CONFIG_SOURCES.includes(n), `${n} is neither a layer, a protocol or filter plugin nor a config source`).toBe(true);
  });

  for (const pkg of pkgs) {
    it(`${pkg.name} declares only dependencies below it, and its tsconfig references match`, () => {
      const ok = allowed(pkg.name, names);
      const declared = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).filter(workspace);
      for (const d of declared) expect(ok, `${pkg.name} depends on ${d}`).toContain(d);
      if (isFilterPlugin(pkg.name)) expect(Object.keys(pkg.dependencies).filter(workspace), `${pkg.name} takes mosn as a peer`).toEqual([]);
      const refs = pkg.references.map((r) => pkgs.find((p) => p.dir.endsWith(`/${r}`))?.name);
      expect(refs.sort()).toEqual(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).filter(workspace).sort());
    });

    it(`${pkg.name} imports no workspace package it does not declare`, () => {
      const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }));
      for (const file of sourceFiles(join(pkg.dir, 'src'))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(IMPORT)) {
          const spec = (m[1] ?? m[2])!;
          const target = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!workspace(target) || target === pkg.name) continue;
          expect(declared.has(target), `${file} imports ${spec}, which ${pkg.name} may not use`).toBe(true);
        }
      }
    });
  }

  it('a filter plugin imports only types from mosn (its built code imports nothing of ours: any mosn can load it)', () => {
    for (const pkg of pkgs.filter((p) => isFilterPlugin(p.name))) {
      let seen = 0;
      for (const file of sourceFiles(join(pkg.dir, 'src')).filter((f) => !f.endsWith('.test.ts'))) {
        const imports = [...readFileSync(file, 'utf8').matchAll(/^(import|export)\s+(type\s+)?[^'"]*?from\s*['"](mosn|@mosn\/[^'"]+)['"]/gm)];
        for (const m of imports) expect(m[2], `${file}: ${m[0]}`).toBe('type ');
        seen += imports.length;
      }
      expect(seen, `${pkg.name} imports mosn's types`).toBeGreaterThan(0);
    }
  });

  it('pino is used by the runtime only', () => {
    for (const pkg of pkgs) {
      if (pkg.name === 'mosn') continue;
      expect(Object.keys(pkg.dependencies), pkg.name).not.toContain('pino');
    }
  });
});
