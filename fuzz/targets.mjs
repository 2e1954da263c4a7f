// The fuzz targets over the built packages (dist/): what fuzz/run.mjs runs. The CI slices
// (test-e2e/fuzz/*.test.ts) make the same targets over the packages' sources.
import { boltCodec } from '../packages/protocol-bolt/dist/index.js';
import { dubboCodec } from '../packages/protocol-dubbo/dist/index.js';
import { exampleCodec } from '../packages/protocol-example/dist/index.js';
import { HttpHeaders, Http1ServerConnection, IoBuffer, isDecodeError } from '../packages/stream/dist/index.js';
import { boltTarget, dubboTarget, exampleTarget, goldenFrames, http1Target } from './dist/index.js';

export function targets() {
  const newBuffer = (exclusive) => new IoBuffer({ exclusive });
  return {
    bolt: boltTarget({ codec: boltCodec, newBuffer, isDecodeError, seeds: goldenFrames('bolt') }),
    dubbo: dubboTarget({ codec: dubboCodec, newBuffer, isDecodeError, seeds: goldenFrames('dubbo') }),
    example: exampleTarget({ codec: exampleCodec, newBuffer, isDecodeError }),
    http1: http1Target({ Http1ServerConnection, newHeaders: (raw) => new HttpHeaders(raw), newBuffer }),
  };
}
