import { rpcPoolFactory, type XProtocolCodec } from '@mosn/proxy';
import { ConfigProblems, ConfigReader } from './config/config-reader.js';
import type { Extensions } from './extensions.js';
import { importConfigPackage } from './package-import.js';

const CODEC_FUNCTIONS = ['match', 'decode', 'encode', 'withRequestId', 'hijack', 'mapStatusToHttp'] as const;

/** What is missing for `x` to be a codec; empty when it is one. */
function codecShapeProblems(x: unknown): string[] {
  if (x === null || typeof x !== 'object') return ['it is not an object'];
  const c = x as Record<string, unknown>;
  const out: string[] = [];
  if (typeof c.name !== 'string' || c.name === '') out.push('"name" is not a non-empty string');
  for (const f of CODEC_FUNCTIONS) if (typeof c[f] !== 'function') out.push(`"${f}" is not a function`);
  return out;
}

/**
 * Load the protocol packages named in `third_part_codec.codecs[]` and register their codecs. MOSN's shape,
 * with a type for npm packages: `{ "enable": true, "type": "npm", "path": "<package or file>",
 * "loader_func_name": "<export, default codec>" }`. A package is resolved from the config file's folder,
 * then from mosn's own. Problems are reported with their JSON paths, like the rest of the config.
 */
export async function loadThirdPartCodecs(raw: unknown, ext: Extensions, configDir: string): Promise<ConfigProblems> {
  const problems = new ConfigProblems();
  if (raw === null || typeof raw !== 'object') return problems;
  const root = new ConfigReader(raw as Record<string, unknown>, '', problems);
  const tpc = root.obj('third_part_codec');
  if (!tpc) return problems;
  for (const c of tpc.objects('codecs')) {
    if (c.bool('enable') === false) continue;
    const type = c.str('type', { required: true }) ?? '';
    const path = c.str('path', { required: true, nonEmpty: true });
    const exportName = c.str('loader_func_name') || 'codec';
    if (type.toLowerCase() !== 'npm') continue; // readConfig reports it with its path
    if (path === undefined) continue;
    let mod: Record<string, unknown>;
    try {
      mod = await importConfigPackage(path, configDir);
    } catch (e) {
      problems.error(c.at('path'), `cannot load protocol package "${path}": ${(e as Error).message}`);
      continue;
    }
    const exported = mod[exportName] ?? (exportName === 'codec' ? (mod.default as unknown) : undefined);
    const list = Array.isArray(exported) ? exported : [exported];
    for (const codec of list) {
      const missing = codecShapeProblems(codec);
      if (missing.length > 0) {
        problems.error(c.at('path'), `"${path}" export "${exportName}" is not a protocol codec: ${missing.join('; ')}`);
        continue;
      }
      try {
        ext.protocols.registerCodec(codec as XProtocolCodec);
        ext.pools.set((codec as XProtocolCodec).name.toLowerCase(), rpcPoolFactory(codec as XProtocolCodec));
      } catch (e) {
        problems.error(c.at('path'), (e as Error).message);
      }
    }
  }
  return problems;
}
