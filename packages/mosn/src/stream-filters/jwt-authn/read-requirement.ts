import type { ConfigReader } from '../../config/config-reader.js';
import { oneOf } from './read-proto.js';
import type { JwtRequirement } from './types.js';

const KINDS = ['provider_name', 'provider_and_audiences', 'requires_any', 'requires_all', 'allow_missing_or_failed', 'allow_missing'] as const;

/**
 * A JwtRequirement: one of `provider_name`, `provider_and_audiences` (`provider_name`, `audiences`), `requires_any`
 * and `requires_all` (`requirements`, at least two), `allow_missing_or_failed` and `allow_missing` (`{}`), or none
 * (the request needs nothing). A provider name must be one of `providers` (Envoy refuses the config otherwise;
 * MOSN fails only on a request, and then skips the filter).
 */
export function readRequirement(r: ConfigReader, providers: ReadonlySet<string>): JwtRequirement | undefined {
  const kind = oneOf(r, KINDS);
  let out: JwtRequirement | undefined;
  switch (kind) {
    case undefined:
      out = { kind: 'none' };
      break;
    case 'provider_name': {
      const name = r.str(kind, { nonEmpty: true });
      if (name !== undefined && knownProvider(r, kind, name, providers)) out = { kind: 'provider', provider: name };
      break;
    }
    case 'provider_and_audiences': {
      const p = r.obj(kind);
      if (!p) break;
      const name = p.str('provider_name', { required: true, nonEmpty: true });
      const audiences = p.strings('audiences');
      p.finish({ unknown: 'error' });
      if (name !== undefined && knownProvider(p, 'provider_name', name, providers)) out = { kind: 'provider', provider: name, audiences };
      break;
    }
    case 'requires_any':
    case 'requires_all': {
      const list = r.obj(kind);
      if (!list) break;
      const items = list.objects('requirements', { required: true });
      if (list.isSet('requirements') && items.length < 2) list.problems.error(list.at('requirements'), 'expected at least 2 requirements');
      const requirements: JwtRequirement[] = [];
      for (const item of items) {
        const req = readRequirement(item, providers);
        if (req) requirements.push(req);
      }
      list.finish({ unknown: 'error' });
      if (requirements.length === items.length && items.length >= 2) out = { kind: kind === 'requires_any' ? 'any' : 'all', requirements };
      break;
    }
    default: {
      // google.protobuf.Empty
      const empty = r.obj(kind);
      empty?.finish({ unknown: 'error' });
      if (empty) out = { kind };
    }
  }
  r.finish({ unknown: 'error' });
  return out;
}

function knownProvider(r: ConfigReader, key: string, name: string, providers: ReadonlySet<string>): boolean {
  if (providers.has(name)) return true;
  const known = [...providers];
  r.problems.error(r.at(key), `provider "${name}" is not in "providers" (${known.length > 0 ? `configured: ${known.join(', ')}` : 'none is configured'})`);
  return false;
}
