// Preloaded into mosn (`node --require`) by internals.test.ts: makes two Node internals mosn relies on look as a
// future Node might make them, so that its start-up self-test must notice and fall back.
// - node:_http_common's HTTPParser renumbers its callback slots: the head callback mosn sets is never called.
//   (node:http itself read the number when _http_common loaded, just above, so the admin API keeps working.)
// - process.binding('stream_wrap') is gone: connections cannot drive libuv handles directly.
'use strict';
const common = require('node:_http_common');
common.HTTPParser.kOnHeadersComplete = 99;
const binding = process.binding;
process.binding = function (name) {
  if (name === 'stream_wrap') throw new Error(`No such module: ${name}`);
  return binding.call(process, name);
};
