import type { RpcCallHandle, RpcResponseReceiver, StreamResetReason, XFrame } from '@mosn/stream';
import type { LbContext } from '../lb/load-balancer.js';
import type { ListenerCounters } from '../stats/counters.js';
import type { Cluster, Host } from '../upstream/cluster.js';
import { MirrorCopy } from './copy.js';
import { mirrorHosts } from './hosts.js';

/** What sending the copies of one RPC request needs. */
export interface RpcMirrorRequest {
  readonly cluster: Cluster;
  readonly copies: number;
  readonly everyHealthyHost: boolean;
  readonly lb: LbContext;
  /** The frame (whole): each host's pool sends it with an id of its own. */
  readonly request: XFrame;
  /** The downstream protocol: RPC copies go upstream in it. */
  readonly protocol: string;
  readonly timeoutMs: number;
  readonly counters: ListenerCounters;
}

/**
 * Send copies of one RPC request (MOSN's `mirror` stream filter) to hosts of a cluster; their answers are dropped.
 * Returns how many copies were sent. A one-way request's copies are complete once sent.
 */
export function mirrorRpc(r: RpcMirrorRequest): number {
  let sent = 0;
  for (const host of mirrorHosts(r.cluster, r.copies, r.everyHealthyHost, r.lb)) {
    if (!r.cluster.resources.requests.tryAcquire()) {
      r.counters.mirror_rq_failed.inc();
      continue;
    }
    const copy = new RpcMirrorCopy(r, host);
    sent++;
    const pool = host.pool(r.protocol);
    if (pool.kind !== 'rpc') {
      copy.end('failed');
      continue;
    }
    copy.handle = pool.send(r.request, copy);
    if (r.request.isOneWay()) copy.end('completed');
  }
  return sent;
}

/** One copy waiting for its answer, which is dropped. */
class RpcMirrorCopy extends MirrorCopy implements RpcResponseReceiver {
  handle: RpcCallHandle | undefined;

  constructor(r: RpcMirrorRequest, host: Host) {
    super(r.cluster, host, r.counters, r.request.timeoutMs !== undefined && r.request.timeoutMs > 0 ? r.request.timeoutMs : r.timeoutMs);
  }

  onResponse(_response: XFrame): void {
    this.end('completed');
  }

  onReset(_reason: StreamResetReason): void {
    this.end('failed');
  }

  protected abort(): void {
    this.handle?.cancel();
    this.handle = undefined;
  }
}
