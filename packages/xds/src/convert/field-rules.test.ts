import { describe, expect, it } from 'vitest';
import { messageType } from '../proto.js';
import { CLUSTER_COMMON_OPTIONS_RULES, HTTP_OPTIONS_RULES, UPSTREAM_HTTP_OPTIONS_RULES } from './cluster-protocol.js';
import { HEALTH_CHECK_RULES, HTTP_HEALTH_CHECK_RULES, OUTLIER_DETECTION_RULES, THRESHOLD_RULES } from './cluster-health.js';
import { COMMON_LB_RULES, LEAST_REQUEST_RULES, MAGLEV_RULES, RING_HASH_RULES, ROUND_ROBIN_RULES } from './cluster-lb.js';
import { UPSTREAM_TLS_RULES } from './cluster-tls.js';
import { CLUSTER_RULES } from './cluster.js';
import { ConvertContext, ConvertProblems } from './context.js';
import { checkFields, NOT_SUPPORTED, setFields, type FieldRules } from './field-rules.js';
import { COMMON_OPTIONS_RULES, HCM_RULES, HCM_TYPE } from './hcm.js';
import { FILTER_CHAIN_MATCH_RULES, FILTER_CHAIN_RULES } from './listener-chains.js';
import { DOWNSTREAM_TLS_RULES, DOWNSTREAM_TLS_TYPE } from './listener-tls.js';
import { LISTENER_MESSAGE, LISTENER_RULES } from './listener.js';
import { REGEX_MATCHER_RULES, STRING_MATCHER_RULES } from './matcher.js';
import { CLUSTER_WEIGHT_RULES, RETRY_POLICY_RULES, ROUTE_ACTION_RULES, WEIGHTED_CLUSTER_RULES } from './route-action.js';
import { BODY_RULES, DIRECT_RESPONSE_RULES, REDIRECT_RULES } from './route-local.js';
import { HEADER_MATCHER_RULES, ROUTE_MATCH_RULES } from './route-match.js';
import { ROUTE_CONFIGURATION_RULES, ROUTE_RULES, VIRTUAL_HOST_RULES } from './route.js';
import { TCP_PROXY_RULES, TCP_PROXY_TYPE } from './tcp-proxy.js';

const ROUTE = 'envoy.config.route.v3';
const CLUSTER = 'envoy.config.cluster.v3';

/** Every message a converter takes, with its rules. */
const TABLES: Array<[string, FieldRules]> = [
  [LISTENER_MESSAGE, LISTENER_RULES],
  ['envoy.config.listener.v3.FilterChain', FILTER_CHAIN_RULES],
  ['envoy.config.listener.v3.FilterChainMatch', FILTER_CHAIN_MATCH_RULES],
  [HCM_TYPE, HCM_RULES],
  ['envoy.config.core.v3.HttpProtocolOptions', COMMON_OPTIONS_RULES],
  [TCP_PROXY_TYPE, TCP_PROXY_RULES],
  [DOWNSTREAM_TLS_TYPE, DOWNSTREAM_TLS_RULES],
  [`${ROUTE}.RouteConfiguration`, ROUTE_CONFIGURATION_RULES],
  [`${ROUTE}.VirtualHost`, VIRTUAL_HOST_RULES],
  [`${ROUTE}.Route`, ROUTE_RULES],
  [`${ROUTE}.RouteMatch`, ROUTE_MATCH_RULES],
  [`${ROUTE}.HeaderMatcher`, HEADER_MATCHER_RULES],
  [`${ROUTE}.RouteAction`, ROUTE_ACTION_RULES],
  [`${ROUTE}.WeightedCluster`, WEIGHTED_CLUSTER_RULES],
  [`${ROUTE}.WeightedCluster.ClusterWeight`, CLUSTER_WEIGHT_RULES],
  [`${ROUTE}.RetryPolicy`, RETRY_POLICY_RULES],
  [`${ROUTE}.RedirectAction`, REDIRECT_RULES],
  [`${ROUTE}.DirectResponseAction`, DIRECT_RESPONSE_RULES],
  ['envoy.config.core.v3.DataSource', BODY_RULES],
  ['envoy.type.matcher.v3.RegexMatcher', REGEX_MATCHER_RULES],
  ['envoy.type.matcher.v3.StringMatcher', STRING_MATCHER_RULES],
  [`${CLUSTER}.Cluster`, CLUSTER_RULES],
  [`${CLUSTER}.Cluster.RoundRobinLbConfig`, ROUND_ROBIN_RULES],
  [`${CLUSTER}.Cluster.LeastRequestLbConfig`, LEAST_REQUEST_RULES],
  [`${CLUSTER}.Cluster.MaglevLbConfig`, MAGLEV_RULES],
  [`${CLUSTER}.Cluster.RingHashLbConfig`, RING_HASH_RULES],
  [`${CLUSTER}.Cluster.CommonLbConfig`, COMMON_LB_RULES],
  [`${CLUSTER}.OutlierDetection`, OUTLIER_DETECTION_RULES],
  [`${CLUSTER}.CircuitBreakers.Thresholds`, THRESHOLD_RULES],
  ['envoy.config.core.v3.HealthCheck', HEALTH_CHECK_RULES],
  ['envoy.config.core.v3.HealthCheck.HttpHealthCheck', HTTP_HEALTH_CHECK_RULES],
  ['envoy.config.core.v3.HttpProtocolOptions', CLUSTER_COMMON_OPTIONS_RULES],
  ['envoy.config.core.v3.UpstreamHttpProtocolOptions', UPSTREAM_HTTP_OPTIONS_RULES],
  ['envoy.extensions.upstreams.http.v3.HttpProtocolOptions', HTTP_OPTIONS_RULES],
  ['envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', UPSTREAM_TLS_RULES],
];

describe('field rules', () => {
  for (const [name, rules] of TABLES) {
    it(`cover every field of ${name}, and no other`, () => {
      const fields = Object.keys(messageType(name).fields).sort();
      expect(Object.keys(rules).sort()).toEqual(fields);
    });
  }
});

describe('checkFields', () => {
  const TYPE = `${ROUTE}.RetryPolicy`;
  const rules: FieldRules = { retry_on: 'converted', retry_priority: 'noop', per_try_idle_timeout: NOT_SUPPORTED, retry_back_off: { error: 'no' } };

  it('reports the set fields by their rule, in the proto\'s order; a field without a rule is an error', () => {
    const problems = new ConvertProblems();
    const msg = { retry_back_off: {}, retry_on: '5xx', retry_priority: {}, per_try_idle_timeout: { seconds: '1' }, retriable_headers: [{ name: 'x' }] };
    checkFields(msg, TYPE, rules, new ConvertContext(problems, 'rp'));
    expect(problems.warnings).toEqual([{ path: 'rp.per_try_idle_timeout', message: 'not supported by mosn-ts; ignored' }]);
    expect(problems.errors).toEqual([
      { path: 'rp.retry_back_off', message: 'no' },
      { path: 'rp.retriable_headers', message: `not supported by mosn-ts (${TYPE}.retriable_headers is unknown to its converter)` },
    ]);
  });

  it('takes a default as unset: false, 0, "", [], an empty map, an enum\'s zero value, a wrapper holding its default, "0" of a 64-bit integer', () => {
    expect(setFields({ most_specific_header_mutations_wins: false, internal_only_headers: [], typed_per_filter_config: {}, validate_clusters: { value: false }, name: '' }, `${ROUTE}.RouteConfiguration`)).toEqual([]);
    expect(setFields({ cluster_not_found_response_code: 'SERVICE_UNAVAILABLE', priority: 'DEFAULT', include_vh_rate_limits: {} }, `${ROUTE}.RouteAction`)).toEqual([]);
    expect(setFields({ host_selection_retry_max_attempts: '0', num_retries: { value: 0 } }, TYPE)).toEqual([]);
    expect(setFields({ host_selection_retry_max_attempts: '2', num_retries: { value: 1 }, per_try_timeout: {}, retry_on: 'reset' }, TYPE)).toEqual(['retry_on', 'num_retries', 'per_try_timeout', 'host_selection_retry_max_attempts']);
    expect(setFields({ typed_per_filter_config: { f: {} }, cluster_not_found_response_code: 'NOT_FOUND', path_specifier: 'prefix' }, `${ROUTE}.RouteAction`)).toEqual(['cluster_not_found_response_code']);
  });
});
