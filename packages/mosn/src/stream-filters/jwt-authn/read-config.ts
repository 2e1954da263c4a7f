import { ConfigReader } from '../../config/config-reader.js';
import { readRuleMatch } from './read-match.js';
import { readProvider } from './read-provider.js';
import { readRequirement } from './read-requirement.js';
import type { JwtAuthnConfig, JwtProviderConfig, JwtRequirement, JwtRule } from './types.js';

/**
 * `jwt_authn`'s config: Envoy's JwtAuthentication in protobuf JSON (snake_case or lowerCamelCase keys, as MOSN's
 * jsonpb reads it). `providers` (by name), `rules` (`match`, and `requires` or `requirement_name`),
 * `requirement_map`, `bypass_cors_preflight`, `strip_failure_response`. A key Envoy's message does not have is an
 * error, as in MOSN; `filter_state_rules` is refused (mosn-ts has no filter state).
 */
export function readJwtAuthn(config: ConfigReader): JwtAuthnConfig | undefined {
  const c = config.withKeyStyle('proto');
  const providerMap = c.obj('providers');
  const names = new Set(providerMap ? Object.keys(providerMap.raw) : []);
  const providers: Record<string, JwtProviderConfig> = {};
  let complete = true;
  for (const { name, reader } of mapEntries(providerMap)) {
    const p = readProvider(reader, name);
    if (p) providers[name] = p;
    else complete = false;
  }
  const requirementMap = new Map<string, JwtRequirement | undefined>();
  for (const { name, reader } of mapEntries(c.obj('requirement_map'))) requirementMap.set(name, readRequirement(reader, names));
  const rules: JwtRule[] = [];
  for (const r of c.objects('rules')) {
    const rule = readRule(r, names, requirementMap);
    if (rule) rules.push(rule);
    else complete = false;
  }
  c.refuse(['filter_state_rules'], 'is not supported by mosn-ts (it keeps no filter state)');
  const bypassCorsPreflight = c.bool('bypass_cors_preflight') ?? false;
  const stripFailureResponse = c.bool('strip_failure_response') ?? false;
  c.finish({ unknown: 'error' });
  return complete ? { providers, rules, bypassCorsPreflight, stripFailureResponse } : undefined;
}

function readRule(r: ConfigReader, providers: ReadonlySet<string>, requirementMap: ReadonlyMap<string, JwtRequirement | undefined>): JwtRule | undefined {
  const m = r.obj('match', { required: true });
  const match = m && readRuleMatch(m);
  let requires: JwtRequirement | undefined;
  if (r.isSet('requires') && r.isSet('requirement_name')) {
    r.problems.error(r.path, 'only one of requires, requirement_name may be set');
    r.inert(['requires']);
  }
  if (r.isSet('requirement_name')) {
    const name = r.str('requirement_name', { nonEmpty: true });
    if (name !== undefined && !requirementMap.has(name)) {
      r.problems.error(r.at('requirement_name'), `"${name}" is not in "requirement_map" (${requirementMap.size > 0 ? `named: ${[...requirementMap.keys()].join(', ')}` : 'none is named'})`);
    } else if (name !== undefined) requires = requirementMap.get(name);
  } else {
    const q = r.obj('requires');
    requires = q ? readRequirement(q, providers) : { kind: 'none' };
  }
  r.finish({ unknown: 'error' });
  return match && requires ? { match, requires } : undefined;
}

/**
 * The entries of a protobuf `map<string, Message>`: each value's reader, named by its key as written (a map's keys
 * are names, not fields: they are not matched by key style). A value that is not an object is an error.
 */
function mapEntries(map: ConfigReader | undefined): Array<{ name: string; reader: ConfigReader }> {
  if (!map) return [];
  const out: Array<{ name: string; reader: ConfigReader }> = [];
  for (const [name, value] of Object.entries(map.raw)) {
    const reader = ConfigReader.of(value, `${map.path}.${name}`, map.problems, 'proto');
    if (reader) out.push({ name, reader });
  }
  return out;
}
