import type { Stage } from '../mosn.js';
import type { XdsStatus } from '../xds/xds-source.js';
import { METHOD_NOT_ALLOWED, text } from './reply.js';
import type { AdminRequest, AdminSource, Reply } from './types.js';

/**
 * MOSN's stage numbers (pkg/stagemanager `State`) and names, for mosn-ts's stages: `init` is Initing (2), `starting`
 * Starting (4), `running` Running (6), `draining` GracefulStopping (8), `stopped` Stopped (11).
 */
export const MOSN_STATES: Readonly<Record<Stage, { readonly code: number; readonly name: string }>> = {
  init: { code: 2, name: 'Initing' },
  starting: { code: 4, name: 'Starting' },
  running: { code: 6, name: 'Running' },
  draining: { code: 8, name: 'GracefulStopping' },
  stopped: { code: 11, name: 'Stopped' },
};

/**
 * `GET /api/v1/states`: MOSN's `pid=<pid>&state=<number>`, then mosn-ts's `state_name` (MOSN's name of that stage)
 * and `config_version` (1 at start, one more per applied change), one line.
 */
export function states(req: AdminRequest, source: AdminSource): Reply {
  if (req.method !== 'GET') return METHOD_NOT_ALLOWED;
  const s = MOSN_STATES[source.stage()];
  return text(200, `pid=${process.pid}&state=${s.code}&state_name=${s.name}&config_version=${source.version()}\n`);
}

/** Envoy's server states, as its `/ready` names them. */
export type Readiness = 'PRE_INITIALIZING' | 'INITIALIZING' | 'LIVE' | 'DRAINING';

/**
 * Ready (LIVE) is running and, under a control plane, with its first clusters and listeners applied (Envoy's
 * initial CDS and LDS); INITIALIZING while they have not come; DRAINING from the graceful stop on.
 */
export function readiness(stage: Stage, xds: Pick<XdsStatus, 'versions'> | undefined): Readiness {
  if (stage === 'init' || stage === 'starting') return 'PRE_INITIALIZING';
  if (stage === 'draining' || stage === 'stopped') return 'DRAINING';
  if (xds && (xds.versions['CDS'] === undefined || xds.versions['LDS'] === undefined)) return 'INITIALIZING';
  return 'LIVE';
}

/** `GET /ready`, as Envoy's (what Istio and Kubernetes probes ask): 200 `LIVE`, else 503 and the state. */
export function ready(req: AdminRequest, source: AdminSource): Reply {
  if (req.method !== 'GET' && req.method !== 'HEAD') return METHOD_NOT_ALLOWED;
  const state = readiness(source.stage(), source.statuses().xds);
  return text(state === 'LIVE' ? 200 : 503, `${state}\n`);
}
