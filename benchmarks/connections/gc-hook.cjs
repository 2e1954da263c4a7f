// Preloaded into mosn by run.mjs (`node --expose-gc --require gc-hook.cjs cli.js ...`), benchmark only: on the IPC
// message {cmd: 'gc'} it runs two full garbage collections and answers with process.memoryUsage(), so run.mjs can
// report retained memory beside the raw RSS. The channel is unref'd: it never keeps mosn alive.
'use strict';
if (process.send && typeof globalThis.gc === 'function') {
  process.on('message', (msg) => {
    if (!msg || msg.cmd !== 'gc') return;
    globalThis.gc();
    globalThis.gc();
    process.send({ cmd: 'gc', memoryUsage: process.memoryUsage() });
  });
  process.channel?.unref();
}
