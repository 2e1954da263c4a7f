import { describe, expect, it } from 'vitest';
import { inputsPerSecond, replay, runFuzz } from '../../fuzz/src/index.js';
import { targets } from './targets.js';

/*
 * A fixed-seed slice of each decoder-level fuzzer (docs/reliability.md): a few seconds each in CI; the long runs
 * are `node fuzz/run.mjs`. Every input must be decoded to a frame, "need more" or a DecodeError without a throw,
 * a loop or a frame over the size limit, and every frame must survive what the proxy does with it.
 */

const SLICE = { bolt: 8_000, dubbo: 8_000, example: 20_000, http1: 10_000 } as const;

describe('decoder-level fuzzing, a fixed-seed slice', () => {
  for (const [name, count] of Object.entries(SLICE) as Array<[keyof typeof SLICE, number]>) {
    it(`${name}: ${count} inputs, no crash`, async () => {
      const s = await runFuzz(targets[name], { seed: 20261203, count, timeMs: 20_000, print: false });
      const report = s.crashes.map((c) => `inputSeed ${c.inputSeed}: ${c.error}\n  input ${c.hex}`).join('\n');
      expect(s.crashCount, `${name} crashes (replay: node fuzz/run.mjs ${name} --replay <inputSeed>):\n${report}`).toBe(0);
      expect(s.inputs).toBeGreaterThan(0);
      console.log(`${name}: ${s.inputs} inputs, ${inputsPerSecond(s)}/s, slowest ${s.slowest.ms.toFixed(1)} ms`);
    });
  }

  it('an input is reproduced from its own seed', () => {
    const a = replay(targets.bolt, 12345);
    expect(replay(targets.bolt, 12345).hex).toBe(a.hex);
  });
});
