import { Writable } from 'node:stream';
import { Stats, type InternalCheck } from '@mosn/proxy';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { INTERNAL_CHECKS, reportInternalChecks, runInternalChecks } from './self-test.js';

/** A pino logger whose lines the test reads. */
function recordingLogger() {
  const lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const check = (name: string, run: InternalCheck['run']): InternalCheck => ({ name, run });

describe('the start-up self-test of Node internals', () => {
  it('on this Node every internal mosn relies on works (a Node that changed one fails here)', async () => {
    const outcomes = await runInternalChecks();
    expect(outcomes.map((o) => [o.name, o.status, o.problem])).toEqual([
      ['libuv_stream_handle', 'ok', undefined],
      ['http1_parser', 'ok', undefined],
      ['http2_session_handle', 'ok', undefined],
    ]);
    // once per process: a second mosn in it gets the same outcome without running them again
    expect(await runInternalChecks(INTERNAL_CHECKS)).toBe(outcomes);
  });

  it('a failed check: one warn line (internal, Node version, problem, what is used instead) and a stat; never a crash', async () => {
    const outcomes = await runInternalChecks([
      check('fine', async () => ({ internal: 'a fine internal', status: 'ok' })),
      check('gone', async () => ({ internal: 'process.binding("gone")', status: 'failed', problem: 'the binding is missing', instead: 'the slow path' })),
      check('switched_off', async () => ({ internal: 'an internal', status: 'off', instead: 'the other thing' })),
      check('throws', async () => {
        throw new Error('check bug');
      }),
    ]);
    const { logger, lines } = recordingLogger();
    const stats = new Stats();
    reportInternalChecks(outcomes, logger, stats);
    await new Promise((r) => setImmediate(r));
    const warns = lines.filter((l) => l.level === 40);
    expect(warns).toEqual([
      expect.objectContaining({
        check: 'gone',
        internal: 'process.binding("gone")',
        node: process.version,
        problem: 'the binding is missing',
        instead: 'the slow path',
        msg: `self-test: process.binding("gone") does not work as expected on Node ${process.version}; mosn uses the slow path instead`,
      }),
      expect.objectContaining({ check: 'throws', problem: 'the check threw: check bug' }),
    ]);
    expect(stats.snapshot()).toEqual({ 'process.self_test_failed.gone': 1, 'process.self_test_failed.throws': 1 });
    expect(lines.find((l) => l.level === 30)).toMatchObject({
      msg: 'self-test of Node internals done',
      checks: { fine: 'ok', gone: 'failed', switched_off: 'off (the other thing)', throws: 'failed' },
    });
  });
});
