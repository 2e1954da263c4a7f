import { createHook } from 'node:async_hooks';
import type { StatsCollector } from '@mosn/proxy';

/**
 * The process's own figures, as Envoy's `server.*` gauges, read at each stats snapshot (never on a request path):
 * memory (`process.memoryUsage()`: resident set, V8's heap used and reserved, memory outside the heap and in
 * ArrayBuffers), what keeps the event loop alive (`process.getActiveResourcesInfo()`: timers that are not unref'd,
 * and handles and requests: sockets, servers, file operations), and seconds since start. With `MOSN_COUNT_TIMERS=1`
 * in the environment, also `server.timers`: every timer alive, unref'd ones too (mosn unrefs its own), counted by an
 * async hook, which costs every asynchronous operation a little: a diagnostic for soaks, off by default. A soak reads
 * these to tell a leak from a level.
 */
export function processFigures(startedAt = Date.now(), env: NodeJS.ProcessEnv = process.env): StatsCollector {
  const timers = env.MOSN_COUNT_TIMERS === '1' ? liveTimers() : undefined;
  return (emit) => {
    const m = process.memoryUsage();
    emit('server.memory_rss', m.rss);
    emit('server.memory_heap_used', m.heapUsed);
    emit('server.memory_heap_size', m.heapTotal);
    emit('server.memory_external', m.external);
    emit('server.memory_array_buffers', m.arrayBuffers);
    let refTimers = 0;
    let handles = 0;
    for (const r of process.getActiveResourcesInfo()) {
      if (r === 'Timeout') refTimers++;
      else handles++;
    }
    emit('server.active_timers', refTimers);
    emit('server.active_handles', handles);
    if (timers) emit('server.timers', timers.size);
    emit('server.uptime', Math.floor((Date.now() - startedAt) / 1000));
  };
}

/**
 * The async ids of the timers alive: made (`setTimeout`, `setInterval`) and not yet cleared or fired for good. A timer
 * re-armed by `refresh()` after it fired is not counted again (Node gives it no new id): a lower bound, which a leak
 * of new timers still moves.
 */
function liveTimers(): Set<number> {
  const live = new Set<number>();
  createHook({
    init(id, type) {
      if (type === 'Timeout') live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return live;
}
