/** The fuzzers of mosn-ts: structure-aware mutators per protocol, and the harness that runs them. See docs/reliability.md. */
export { runFuzz, replay, inputFor, inputsPerSecond, type FuzzTarget, type FuzzStats, type FuzzOptions, type Crash } from './harness.js';
export { Rng, inputSeed } from './prng.js';
export { makeInput, mutateOnce, pieces, type Field, type Structure } from './mutate.js';
export { goldenFrames } from './golden.js';
export { xprotocolCheck, Violation, type CodecLike, type FrameLike, type BufferLike } from './xprotocol.js';
export { boltTarget, type BoltDeps } from './bolt.js';
export { dubboTarget, type DubboDeps, type DubboFrameLike } from './dubbo.js';
export { exampleTarget, type ExampleDeps } from './example.js';
export { http1Target, type Http1Deps } from './http1.js';
export { http2Structure, h2frame } from './http2.js';
export { tlsStructure } from './tls.js';
