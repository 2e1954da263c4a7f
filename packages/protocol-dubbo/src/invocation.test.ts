import { describe, expect, it } from 'vitest';
import { countParameters } from './invocation.js';

describe('countParameters', () => {
  it('counts JVM parameter descriptors, primitives and arrays included', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['I', 1],
      ['II', 2], // apache-dubbo-serialization counts this as 1
      ['Ljava/lang/String;', 1],
      ['Ljava/lang/String;[I[[Ljava/lang/Object;JZ', 5],
      ['Ljava/lang/String;Ljava/lang/String;[Ljava/lang/Object;', 3], // $invoke, generic calls
    ];
    for (const [desc, n] of cases) expect(countParameters(desc), desc).toBe(n);
  });

  it('answers -1 for malformed descriptors', () => {
    for (const desc of ['Ljava/lang/String', 'X', '[', 'I[', 'java.lang.String']) expect(countParameters(desc), desc).toBe(-1);
  });
});
