import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Stats } from '@mosn/proxy';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { handleProcessErrors } from './process-policy.js';

/** A pino logger whose lines the test reads. */
function recordingLogger() {
  const lines: Array<{ level: number; msg: string; err?: { message: string } }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), lines };
}

describe('handleProcessErrors', () => {
  it('an uncaught exception is logged fatal and counted; mosn drains once, then exits 1', async () => {
    const proc = new EventEmitter();
    const { logger, lines } = recordingLogger();
    const stats = new Stats();
    const events: string[] = [];
    let exited: (code: number) => void = () => {};
    const exit = new Promise<number>((r) => (exited = r));
    handleProcessErrors({ logger, stats, process: proc, stop: async () => void events.push('stop'), exit: (code) => exited(code) });
    proc.emit('uncaughtException', new Error('a bug somewhere'), 'uncaughtException');
    proc.emit('uncaughtException', new Error('another'), 'uncaughtException');
    expect(await exit).toBe(1);
    expect(events).toEqual(['stop']);
    expect(stats.snapshot()['process.uncaught_exception']).toBe(2);
    await new Promise((r) => setImmediate(r));
    const fatal = lines.filter((l) => l.level === 60);
    expect(fatal[0]).toMatchObject({ msg: expect.stringContaining('draining, then exiting 1'), err: { message: 'a bug somewhere' } });
  });

  it('an unhandled rejection is logged and counted, and mosn keeps serving', async () => {
    const proc = new EventEmitter();
    const { logger, lines } = recordingLogger();
    const stats = new Stats();
    let stops = 0;
    handleProcessErrors({ logger, stats, process: proc, stop: async () => void stops++, exit: () => expect.unreachable('no exit') });
    proc.emit('unhandledRejection', new Error('nobody awaited me'));
    await new Promise((r) => setImmediate(r));
    expect(stops).toBe(0);
    expect(stats.snapshot()['process.unhandled_rejection']).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: 'unhandled promise rejection (a bug); mosn keeps serving', err: expect.objectContaining({ message: 'nobody awaited me' }) })]);
  });
});
