#!/usr/bin/env node
// The public API of each package, as committed lists: `api/<package>.txt` (and `api/<package>.<subpath>.txt` for a
// subpath export such as `./testing`) names every export of the entry point, one a line, `type ` before the
// type-only ones. `node scripts/api-surface.mjs` compares the entry points with the lists and fails with a diff;
// `node scripts/api-surface.mjs --update` writes the lists anew (review that diff: it is the API change).
//
// The names are read from the entry files themselves (each `exports` entry's `source`), which may only name what
// they export: `export *` is refused, so that a package exports nothing it did not list. A test
// (test-e2e/packaging/api-surface.test.ts) runs this check and compares the lists with what the modules export at run time.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const API_DIR = join(ROOT, 'api');
const UPDATE = 'node scripts/api-surface.mjs --update';

/** Every entry point of every workspace package: its import specifier, source file and list file. */
export function entryPoints(root = ROOT) {
  const out = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkgFile = join(root, 'packages', dir, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    for (const [key, target] of Object.entries(pkg.exports ?? {})) {
      if (key === './package.json') continue;
      const source = typeof target === 'object' && target !== null ? target.source : undefined;
      if (typeof source !== 'string') throw new Error(`packages/${dir}/package.json: exports["${key}"] has no "source"`);
      const sub = key === '.' ? '' : key.replace(/^\.\//, '');
      out.push({
        specifier: sub ? `${pkg.name}/${sub}` : pkg.name,
        file: join(root, 'packages', dir, source),
        listFile: join(root, 'api', `${dir}${sub ? `.${sub.replaceAll('/', '.')}` : ''}.txt`),
      });
    }
  }
  return out;
}

/**
 * The names a TypeScript entry file exports, `{ name, type }` each (`type`: exported as a type only), sorted.
 * Throws on `export *`.
 */
export function exportedNames(file, root = ROOT) {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const names = new Map();
  const add = (name, type) => {
    if (names.has(name)) throw new Error(`${relative(root, file)}: "${name}" is exported twice`);
    names.set(name, type);
  };
  if (/\bexport\s+(type\s+)?\*/.test(text)) {
    throw new Error(`${relative(root, file)}: "export *" exports whatever the other module has: name each export instead`);
  }
  for (const m of text.matchAll(/\bexport\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const raw of m[2].split(',')) {
      const spec = raw.trim();
      if (!spec) continue;
      const type = Boolean(m[1]) || /^type\s/.test(spec);
      const parts = spec.replace(/^type\s+/, '').split(/\s+as\s+/);
      add(parts[parts.length - 1].trim(), type);
    }
  }
  const DECL = /\bexport\s+(?:declare\s+)?(?:(default)\b|(?:abstract\s+)?(?:async\s+)?(class|function\*?|const|let|var|enum|interface|type|namespace)\s+([A-Za-z_$][\w$]*))/g;
  for (const m of text.matchAll(DECL)) {
    if (m[1]) add('default', false);
    else add(m[3], m[2] === 'interface' || m[2] === 'type');
  }
  return [...names].map(([name, type]) => ({ name, type })).sort((a, b) => compareNames(a.name, b.name));
}

function compareNames(a, b) {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** The list file's text for an entry point. */
export function listText(entry, root = ROOT) {
  const lines = exportedNames(entry.file, root).map((n) => (n.type ? `type ${n.name}` : n.name));
  return `# ${entry.specifier}: its exports, one a line (\`type \`: a type only). After an intended change: ${UPDATE}\n${lines.join('\n')}\n`;
}

/** What changed between two list texts: `-name` only in the committed list, `+name` only in the code. */
function diff(before, after) {
  const names = (text) => text.split('\n').filter((l) => l && !l.startsWith('#'));
  const a = names(before);
  const b = names(after);
  const inA = new Set(a);
  const inB = new Set(b);
  return [...a.filter((l) => !inB.has(l)).map((l) => `-${l}`), ...b.filter((l) => !inA.has(l)).map((l) => `+${l}`)];
}

/** Compares every entry point with its list; returns the problems, one string each. */
export function check(root = ROOT) {
  const problems = [];
  const entries = entryPoints(root);
  for (const entry of entries) {
    let want;
    try {
      want = listText(entry, root);
    } catch (e) {
      problems.push(e.message);
      continue;
    }
    if (!existsSync(entry.listFile)) {
      problems.push(`${entry.specifier} has no list: ${relative(root, entry.listFile)} is missing`);
      continue;
    }
    const lines = diff(readFileSync(entry.listFile, 'utf8'), want);
    if (lines.length > 0) problems.push(`${entry.specifier} exports differ from ${relative(root, entry.listFile)}:\n  ${lines.join('\n  ')}`);
  }
  const expected = new Set(entries.map((e) => e.listFile));
  if (existsSync(join(root, 'api'))) {
    for (const f of readdirSync(join(root, 'api'))) {
      if (f.endsWith('.txt') && !expected.has(join(root, 'api', f))) problems.push(`api/${f} lists an entry point no package has`);
    }
  }
  return problems;
}

function update() {
  mkdirSync(API_DIR, { recursive: true });
  const entries = entryPoints();
  const texts = [];
  try {
    for (const entry of entries) texts.push(listText(entry));
  } catch (e) {
    console.error(`${e.message}\nNo list was written.`);
    process.exit(1);
  }
  entries.forEach((entry, i) => writeFileSync(entry.listFile, texts[i]));
  const expected = new Set(entries.map((e) => e.listFile));
  for (const f of readdirSync(API_DIR)) if (f.endsWith('.txt') && !expected.has(join(API_DIR, f))) rmSync(join(API_DIR, f));
  console.log(`wrote ${entries.length} lists in api/`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--update')) {
    update();
  } else {
    const problems = check();
    if (problems.length > 0) {
      console.error(`${problems.join('\n')}\nThe public API changed. If that was intended, accept it with: ${UPDATE}`);
      process.exit(1);
    }
    console.log('api/: every package exports exactly what its list names');
  }
}
