import { describe, expect, it } from 'vitest';
import type { Stage } from '../mosn.js';
import { ready, readiness, states } from './states.js';
import type { AdminRequest, AdminSource } from './types.js';

const req = (method = 'GET'): AdminRequest => ({ method, query: new URLSearchParams(), body: () => Promise.resolve('') });
const source = (stage: Stage, statuses: ReturnType<AdminSource['statuses']> = {}): AdminSource => ({ config: () => ({}), statuses: () => statuses, stats: () => ({}), stage: () => stage, version: () => 3, live: { listeners: () => [], clusters: () => [], stat: () => 0 } });
const xds = (versions: Record<string, string>) => ({ xds: { versions } as never });

describe('/api/v1/states', () => {
  it('MOSN`s pid=<pid>&state=<number>, then the state`s name and the config version', () => {
    expect(states(req(), source('running'))).toMatchObject({ status: 200, body: `pid=${process.pid}&state=6&state_name=Running&config_version=3\n` });
    expect(states(req(), source('draining')).body).toContain('&state=8&state_name=GracefulStopping&');
    expect(states(req(), source('starting')).body).toContain('&state=4&');
    expect(states(req('POST'), source('running')).status).toBe(405);
  });
});

describe('/ready (Envoy`s)', () => {
  it('LIVE once running; with xDS, once the first clusters and listeners are applied', () => {
    expect(readiness('starting', undefined)).toBe('PRE_INITIALIZING');
    expect(readiness('running', undefined)).toBe('LIVE');
    expect(readiness('running', { versions: {} })).toBe('INITIALIZING');
    expect(readiness('running', { versions: { CDS: '1' } })).toBe('INITIALIZING');
    expect(readiness('running', { versions: { CDS: '1', LDS: '7' } })).toBe('LIVE');
    expect(readiness('draining', undefined)).toBe('DRAINING');
  });

  it('200 LIVE, else 503 and the state', () => {
    expect(ready(req(), source('running'))).toMatchObject({ status: 200, body: 'LIVE\n' });
    expect(ready(req('HEAD'), source('running')).status).toBe(200);
    expect(ready(req(), source('running', xds({ CDS: '1' })))).toMatchObject({ status: 503, body: 'INITIALIZING\n' });
    expect(ready(req(), source('draining'))).toMatchObject({ status: 503, body: 'DRAINING\n' });
    expect(ready(req('POST'), source('running')).status).toBe(405);
  });
});
