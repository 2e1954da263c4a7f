// Run in an empty project where @mosn/protocol and @mosn/protocol-bolt are installed (from their tarballs, with
// @mosn/net under them): a Bolt v1 request captured from sofa-rpc-node (the repository's fixtures/golden-frames.json,
// path in argv[2]) decodes field by field, and encodes again to the very same bytes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IoBuffer, isDecodeError } from '@mosn/protocol';
import { boltCodec } from '@mosn/protocol-bolt';

const golden = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const bytes = Buffer.from(golden.bolt.v1_request_echo, 'hex');

const buffer = new IoBuffer();
buffer.append(bytes.subarray(0, 10));
assert.equal(boltCodec.decode(buffer, { maxFrameSize: 1 << 20 }), undefined); // a prefix: wait for more bytes
buffer.append(bytes.subarray(10));
const frame = boltCodec.decode(buffer, { maxFrameSize: 1 << 20 });
assert.ok(frame !== undefined && !isDecodeError(frame), `not a frame: ${JSON.stringify(frame)}`);
assert.equal(buffer.length, 0);
assert.equal(frame.kind, 'request');
assert.equal(frame.requestId, 1);
assert.equal(frame.timeoutMs, 1000);
assert.equal(frame.isHeartbeat(), false);
assert.equal(frame.header.get('service'), 'com.alipay.test.TestService:1.0');
assert.deepEqual(Buffer.concat(boltCodec.encode(frame)), bytes);

const garbage = new IoBuffer();
garbage.append(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
assert.ok(isDecodeError(boltCodec.decode(garbage, { maxFrameSize: 1 << 20 })));
console.log(`decoded request ${frame.requestId} for ${frame.header.get('service')}`);
