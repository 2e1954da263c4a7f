import { boltCodec } from '@mosn/protocol-bolt';
import { dubboCodec } from '@mosn/protocol-dubbo';
import { exampleCodec } from '@mosn/protocol-example';
import { HttpHeaders, Http1ServerConnection, IoBuffer, isDecodeError } from '@mosn/stream';
import { boltTarget, dubboTarget, exampleTarget, goldenFrames, http1Target, type CodecLike, type Http1Deps } from '../../fuzz/src/index.js';
import type { DubboFrameLike } from '../../fuzz/src/dubbo.js';

/** The fuzz targets over the packages' sources (fuzz/targets.mjs makes the same over dist/ for the long runs). */
const newBuffer = (exclusive: boolean) => new IoBuffer({ exclusive });

export const targets = {
  bolt: boltTarget({ codec: boltCodec as unknown as CodecLike, newBuffer, isDecodeError, seeds: goldenFrames('bolt') }),
  dubbo: dubboTarget({ codec: dubboCodec as unknown as CodecLike<DubboFrameLike>, newBuffer, isDecodeError, seeds: goldenFrames('dubbo') }),
  example: exampleTarget({ codec: exampleCodec as unknown as CodecLike, newBuffer, isDecodeError }),
  http1: http1Target({
    Http1ServerConnection: Http1ServerConnection as unknown as Http1Deps['Http1ServerConnection'],
    newHeaders: (raw) => new HttpHeaders(raw),
    newBuffer,
  }),
};
