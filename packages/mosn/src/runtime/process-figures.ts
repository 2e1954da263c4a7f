import type { StatsCollector } from '@mosn/proxy';

/**
 * The process's own figures, as Envoy's `server.*` gauges, read at each stats snapshot (never on a request path):
 * memory (`process.memoryUsage()`: resident set, V8's heap used and reserved, memory outside the heap and in
 * ArrayBuffers), what keeps the event loop alive (`process.getActiveResourcesInfo()`: timers that are not unref'd,
 * and handles and requests: sockets, servers, file operations), and seconds since start. A soak reads them to tell
 * a leak from a level.
 */
export function processFigures(startedAt = Date.now()): StatsCollector {
  return (emit) => {
    const m = process.memoryUsage();
    emit('server.memory_rss', m.rss);
    emit('server.memory_heap_used', m.heapUsed);
    emit('server.memory_heap_size', m.heapTotal);
    emit('server.memory_external', m.external);
    emit('server.memory_array_buffers', m.arrayBuffers);
    let timers = 0;
    let handles = 0;
    for (const r of process.getActiveResourcesInfo()) {
      if (r === 'Timeout') timers++;
      else handles++;
    }
    emit('server.active_timers', timers);
    emit('server.active_handles', handles);
    emit('server.uptime', Math.floor((Date.now() - startedAt) / 1000));
  };
}
