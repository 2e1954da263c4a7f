import { afterEach, describe, expect, it } from 'vitest';
import { env, features, mosnVersion, plugin, version } from './info.js';
import type { AdminRequest } from './types.js';

const req = (query = '', method = 'GET'): AdminRequest => ({ method, query: new URLSearchParams(query), body: () => Promise.resolve('') });

describe('/api/v1/version, features, env, plugin', () => {
  afterEach(() => {
    delete process.env['MOSN_TS_T1'];
    delete process.env['MOSN_TS_T3'];
  });

  it('version: `mosn version: <mosn-ts version>`', () => {
    expect(mosnVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(version()).toMatchObject({ status: 200, body: `mosn version: ${mosnVersion()}` });
  });

  it('features: MOSN`s gates, all off; ?key=<feature>: `false`', () => {
    expect(JSON.parse(features(req()).body)).toEqual({ MultiTenantMode: false, PayLoadLimitEnable: false, XdsMtlsEnable: false, auto_config: false });
    expect(features(req('key=auto_config'))).toMatchObject({ status: 200, body: 'false' });
    expect(features(req('key=toString')).body).toBe('false');
    expect(features(req('', 'POST')).status).toBe(405);
  });

  it('env: the keys asked for, those set and those not (MOSN`s test: t1, t2, t3)', () => {
    process.env['MOSN_TS_T1'] = 'test';
    process.env['MOSN_TS_T3'] = '';
    expect(JSON.parse(env(req('key=MOSN_TS_T1&key=MOSN_TS_T2&key=MOSN_TS_T3')).body)).toEqual({ env: { MOSN_TS_T1: 'test', MOSN_TS_T3: '' }, not_found: ['MOSN_TS_T2'] });
    expect(JSON.parse(env(req('key=MOSN_TS_T1')).body)).toEqual({ env: { MOSN_TS_T1: 'test' }, not_found: null });
    expect(JSON.parse(env(req('key=toString')).body)).toEqual({ env: {}, not_found: ['toString'] });
    expect(env(req())).toMatchObject({ status: 400, body: '{\n\t"error": "no env key"\n}\n' });
    expect(env(req('', 'POST')).status).toBe(405);
  });

  it('plugin: mosn-ts has no Go plugins: none listed, any name unknown, usage without a parameter', () => {
    expect(plugin(req('status=all'))).toMatchObject({ status: 200, body: '\n' });
    expect(plugin(req('status=p1'))).toMatchObject({ status: 400, body: 'plugin p1 no register\n' });
    expect(plugin(req('enable=p1'))).toMatchObject({ status: 400, body: 'plugin p1 no register\n' });
    expect(plugin(req('disable=p1'))).toMatchObject({ status: 400, body: 'plugin p1 no register\n' });
    expect(plugin(req())).toMatchObject({ status: 400, body: expect.stringMatching(/^Usage:\n\/plugin\?status=all\n/) });
  });
});
