import { existsSync, readFileSync } from 'node:fs';

/**
 * The golden frames captured between real peers (`fixtures/golden-frames.json`, a copy of
 * `../shared/fixtures/golden-frames.json`): the repository's copy, or the shared one beside the repository.
 */
export function goldenFrames(protocol: 'bolt' | 'dubbo'): Buffer[] {
  const candidates = [new URL('../../fixtures/golden-frames.json', import.meta.url), new URL('../../../shared/fixtures/golden-frames.json', import.meta.url)];
  const file = candidates.find((u) => existsSync(u));
  if (file === undefined) throw new Error('golden-frames.json not found (fixtures/ or ../shared/fixtures/)');
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  return Object.values(all[protocol] ?? {}).map((hex) => Buffer.from(hex, 'hex'));
}
