import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers.js';

/** A committed API list (api/*.txt, written by scripts/api-surface.mjs): the names its entry point exports, sorted. */
export interface ApiList {
  /** The names exported as values (what `Object.keys(await import(specifier))` gives). */
  values: string[];
  /** The names exported as types only. */
  types: string[];
}

/** Every committed list, by the import specifier its first line names (`# @mosn/net: ...`). */
export function apiLists(): Map<string, ApiList> {
  const out = new Map<string, ApiList>();
  for (const f of readdirSync(join(REPO_ROOT, 'api')).filter((f) => f.endsWith('.txt'))) {
    const [head, ...lines] = readFileSync(join(REPO_ROOT, 'api', f), 'utf8').split('\n');
    const specifier = /^# (\S+?):/.exec(head ?? '')?.[1];
    if (specifier === undefined) throw new Error(`api/${f}: the first line does not name the entry point`);
    const names = lines.filter((l) => l !== '' && !l.startsWith('#'));
    out.set(specifier, {
      values: names.filter((l) => !l.startsWith('type ')).sort(),
      types: names.filter((l) => l.startsWith('type ')).map((l) => l.slice(5)),
    });
  }
  return out;
}
