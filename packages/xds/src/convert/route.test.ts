import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type Message } from '../proto.js';
import { ConvertContext, ConvertProblems } from './context.js';
import { convertRouteConfiguration } from './route.js';

const RC = 'envoy.config.route.v3.RouteConfiguration';

/** Round-trip through the real encoder and decoder, so the input has the decoder's shape; then convert. */
function convert(rc: Message, options?: { name?: string }) {
  const decoded = decodeMessage(RC, encodeMessage(RC, rc));
  const problems = new ConvertProblems();
  const json = convertRouteConfiguration(decoded, new ConvertContext(problems, 'rc'), options);
  return { json, errors: problems.errors, warnings: problems.warnings };
}

/** One virtual host `vh` (domain `*`) holding `routes`. */
function withRoutes(routes: Message[], vh: Message = {}, rc: Message = {}): Message {
  return { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes, ...vh }], ...rc };
}

/** The first route of the first virtual host, and the problems. */
function route(r: Message, vh?: Message, rc?: Message) {
  const { json, errors, warnings } = convert(withRoutes([r], vh, rc));
  const vhs = json?.virtual_hosts as Array<{ routers: Message[] }> | undefined;
  return { route: vhs?.[0]?.routers[0], errors, warnings };
}

const toC = { cluster: 'c' };

describe('convertRouteConfiguration', () => {
  it('converts names, domains and a prefix route with Envoy\'s default timeout', () => {
    const { json, errors, warnings } = convert({
      name: 'http.80',
      virtual_hosts: [
        { name: 'a', domains: ['a.example.com', '*.example.org'], routes: [{ name: 'r1', match: { prefix: '/api' }, route: { cluster: 'api', timeout: { seconds: 2, nanos: 500_000_000 } } }] },
        { name: 'any', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'web' } }] },
      ],
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(json).toEqual({
      router_config_name: 'http.80',
      virtual_hosts: [
        { name: 'a', domains: ['a.example.com', '*.example.org'], routers: [{ match: { prefix: '/api' }, route: { cluster_name: 'api', timeout: '2500ms' } }] },
        { name: 'any', domains: ['*'], routers: [{ match: { prefix: '/' }, route: { cluster_name: 'web', timeout: '15s' } }] },
      ],
    });
  });

  it('needs a name, or takes one for an inline route_config', () => {
    const inline = { virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: toC }] }] };
    const none = convert(inline);
    expect(none.json).toBeUndefined();
    expect(none.errors).toEqual([{ path: 'rc.name', message: 'a route configuration needs a name (MOSN\'s router_config_name)' }]);
    const named = convert(inline, { name: 'inline-0' });
    expect(named.errors).toEqual([]);
    expect(named.json?.router_config_name).toBe('inline-0');
  });

  describe('match', () => {
    it('matches a path case-sensitively with an anchored regex, case-insensitively with MOSN\'s path', () => {
      expect(route({ match: { path: '/a.b' }, route: toC }).route?.match).toEqual({ regex: '^\\/a\\.b$' });
      expect(route({ match: { path: '/a', case_sensitive: { value: false } }, route: toC }).route?.match).toEqual({ path: '/a' });
    });

    it('folds a case-insensitive prefix into a regex', () => {
      expect(route({ match: { prefix: '/Ab1', case_sensitive: { value: false } }, route: toC }).route?.match).toEqual({ regex: '^\\/[aA][bB]1' });
      expect(route({ match: { prefix: '/Ab', case_sensitive: { value: true } }, route: toC }).route?.match).toEqual({ prefix: '/Ab' });
    });

    it('anchors safe_regex (a full match in Envoy) and translates RE2 syntax', () => {
      expect(route({ match: { safe_regex: { regex: '/v[0-9]+/(?P<rest>.*)' } }, route: toC }).route?.match).toEqual({ regex: '^(?:/v[0-9]+/(?<rest>.*))$' });
      expect(route({ match: { safe_regex: { regex: '(?i)/api' } }, route: toC }).route?.match).toEqual({ regex: '^(?:/[aA][pP][iI])$' });
    });

    it('matches path_separated_prefix as the prefix alone or followed by /', () => {
      const { route: r } = route({ match: { path_separated_prefix: '/api' }, route: toC });
      const re = new RegExp(r?.match ? (r.match as { regex: string }).regex : '');
      expect(['/api', '/api/x'].map((p) => re.test(p))).toEqual([true, true]);
      expect(['/apix', '/ap'].map((p) => re.test(p))).toEqual([false, false]);
    });

    it('converts header matchers', () => {
      const { route: r, errors } = route({
        match: {
          prefix: '/',
          headers: [
            { name: 'x-exact', string_match: { exact: 'v' } },
            { name: 'x-ci', string_match: { exact: 'Ab', ignore_case: true } },
            { name: 'x-prefix', string_match: { prefix: 'a.' } },
            { name: 'x-suffix', suffix_match: '.z' },
            { name: 'x-contains', string_match: { contains: 'mid' } },
            { name: 'x-re', safe_regex_match: { regex: '\\d+' } },
            { name: 'x-present', present_match: true },
            { name: ':authority', exact_match: 'a.com' },
            { name: ':method', exact_match: 'POST' },
          ],
        },
        route: toC,
      });
      expect(errors).toEqual([]);
      expect(r?.match).toEqual({
        prefix: '/',
        headers: [
          { name: 'x-exact', value: 'v', regex: false },
          { name: 'x-ci', value: '^[aA][bB]$', regex: true },
          { name: 'x-prefix', value: '^a\\.', regex: true },
          { name: 'x-suffix', value: '\\.z$', regex: true },
          { name: 'x-contains', value: 'mid', regex: true },
          { name: 'x-re', value: '^(?:\\d+)$', regex: true },
          { name: 'x-present', value: '.*', regex: true },
          { name: 'host', value: 'a.com', regex: false },
          { name: 'method', value: 'POST', regex: false },
        ],
      });
    });

    it('matches gRPC requests by content-type', () => {
      const { route: r } = route({ match: { prefix: '/', grpc: {} }, route: toC });
      const h = (r?.match as { headers: Array<{ value: string }> }).headers[0]!;
      expect(h).toMatchObject({ name: 'content-type', regex: true });
      const re = new RegExp(h.value);
      expect(['application/grpc', 'application/grpc+proto', 'application/grpc-web'].map((v) => re.test(v))).toEqual([true, true, false]);
    });

    it('refuses what would match other requests than Envoy does', () => {
      const { route: r, errors } = route({
        match: {
          prefix: '/',
          headers: [
            { name: 'x-a', exact_match: 'v', invert_match: true },
            { name: 'x-b', range_match: { start: 1, end: 5 } },
            { name: ':path', exact_match: '/' },
            { name: 'x-c', present_match: false },
            { name: 'x-d', string_match: { prefix: 'a' }, treat_missing_header_as_empty: true },
            { name: 'x-e', string_match: { safe_regex: { regex: 'a*' } }, treat_missing_header_as_empty: true },
            { name: 'x-f', safe_regex_match: { regex: '(?=a)' } },
          ],
          query_parameters: [{ name: 'q', present_match: true }],
          runtime_fraction: { default_value: { numerator: 50 } },
          dynamic_metadata: [{ filter: 'f', path: [{ key: 'k' }], value: { present_match: true } }],
          tls_context: { presented: { value: true } },
        },
        route: toC,
      });
      expect(r).toBeUndefined();
      expect(errors.map((e) => e.path.replace('rc.virtual_hosts[0].routes[0].match.', ''))).toEqual([
        'runtime_fraction',
        'headers[0].invert_match',
        'headers[1].range_match',
        'headers[2].name',
        'headers[3].present_match',
        'headers[5].treat_missing_header_as_empty',
        'headers[6].safe_regex_match.regex',
        'query_parameters',
        'tls_context',
        'dynamic_metadata',
      ]);
      expect(errors[3]?.message).toBe('matching the pseudo-header :path is not supported by mosn-ts (only :authority and :method)');
      expect(errors[6]?.message).toMatch(/^"\(\?=a\)": "\(\?=" is not RE2 syntax/);
    });

    it('accepts a runtime fraction of 100% (no runtime: the default applies)', () => {
      const { errors } = route({ match: { prefix: '/', runtime_fraction: { default_value: { numerator: 10_000, denominator: 'TEN_THOUSAND' }, runtime_key: 'k' } }, route: toC });
      expect(errors).toEqual([]);
    });

    it('refuses a prefix with a query, CONNECT routes and a header named method', () => {
      expect(route({ match: { prefix: '/a?b' }, route: toC }).errors[0]?.path).toBe('rc.virtual_hosts[0].routes[0].match.prefix');
      expect(route({ match: { connect_matcher: {} }, route: toC }).errors[0]?.path).toBe('rc.virtual_hosts[0].routes[0].match.connect_matcher');
      expect(route({ match: { prefix: '/', headers: [{ name: 'Method', exact_match: 'x' }] }, route: toC }).errors[0]?.message).toMatch(/MOSN matches the name "method" against the request method/);
    });
  });

  describe('route action', () => {
    it('converts weighted clusters with their metadata_match', () => {
      const { route: r, errors } = route({
        match: { prefix: '/' },
        route: {
          weighted_clusters: {
            total_weight: { value: 100 },
            clusters: [
              { name: 'v1', weight: { value: 90 }, metadata_match: { filter_metadata: { 'envoy.lb': { fields: { version: { stringValue: 'v1' } } } } } },
              { name: 'v2', weight: { value: 10 } },
            ],
          },
        },
      });
      expect(errors).toEqual([]);
      expect(r?.route).toEqual({
        weighted_clusters: [{ cluster: { name: 'v1', weight: 90, metadata_match: { filter_metadata: { 'mosn.lb': { version: 'v1' } } } } }, { cluster: { name: 'v2', weight: 10 } }],
        total_cluster_weight: 100,
        timeout: '15s',
      });
    });

    it('refuses weights that do not add up, per-cluster headers and a random value header', () => {
      const { errors } = route({
        match: { prefix: '/' },
        route: {
          weighted_clusters: {
            total_weight: { value: 100 },
            header_name: 'x-rand',
            clusters: [{ name: 'v1', weight: { value: 50 }, request_headers_to_add: [{ header: { key: 'a', value: 'b' } }] }],
          },
        },
      });
      expect(errors.map((e) => [e.path.replace('rc.virtual_hosts[0].routes[0].route.weighted_clusters', 'wc'), e.message])).toEqual([
        ['wc.clusters[0].request_headers_to_add', 'header changes per weighted cluster are not supported by mosn-ts (MOSN has them per route)'],
        ['wc.total_weight', 'the weights add up to 50, not 100 (Envoy refuses it)'],
        ['wc.header_name', 'choosing a weighted cluster by a request header is not supported by mosn-ts (it picks at random)'],
      ]);
    });

    it('converts metadata_match, timeouts, host rewrites and hash policies', () => {
      const { route: r, errors, warnings } = route({
        match: { prefix: '/' },
        route: {
          cluster: 'c',
          metadata_match: { filter_metadata: { 'envoy.lb': { fields: { stage: { stringValue: 'prod' } } } } },
          timeout: { seconds: 0 },
          host_rewrite_literal: 'upstream.local',
          hash_policy: [{ header: { header_name: 'x-user' } }, { connection_properties: { source_ip: true } }, { query_parameter: { name: 'q' } }],
        },
      });
      expect(errors).toEqual([]);
      expect(r?.route).toEqual({
        cluster_name: 'c',
        metadata_match: { filter_metadata: { 'mosn.lb': { stage: 'prod' } } },
        timeout: '0s',
        host_rewrite: 'upstream.local',
        hash_policy: [{ header: { key: 'x-user' } }],
      });
      expect(warnings.map((w) => [w.path.replace('rc.virtual_hosts[0].routes[0].route.', ''), w.message])).toEqual([
        ['hash_policy[1]', 'MOSN hashes only the first hash policy; ignored'],
        ['hash_policy[2].query_parameter', 'this hash policy is not supported by mosn-ts; ignored (the source address is hashed)'],
      ]);
      expect(route({ match: { prefix: '/' }, route: { cluster: 'c', auto_host_rewrite: { value: true } } }).route?.route).toMatchObject({ auto_host_rewrite: true });
      expect(route({ match: { prefix: '/' }, route: { cluster: 'c', host_rewrite_header: 'x-host' } }).route?.route).toMatchObject({ auto_host_rewrite_header: 'x-host' });
      expect(route({ match: { prefix: '/' }, route: { cluster: 'c', hash_policy: [{ cookie: { name: 's', ttl: { seconds: 5 } } }] } }).route?.route).toMatchObject({ hash_policy: [{ http_cookie: { name: 's' } }] });
    });

    it('rewrites a prefix with MOSN\'s prefix_rewrite, and what a regex route matched with regex_rewrite', () => {
      expect(route({ match: { prefix: '/api/' }, route: { cluster: 'c', prefix_rewrite: '/' } }).route?.route).toMatchObject({ prefix_rewrite: '/' });
      expect(route({ match: { path: '/old' }, route: { cluster: 'c', prefix_rewrite: '/new$' } }).route?.route).toMatchObject({
        regex_rewrite: { pattern: { regex: '^\\/old$' }, substitution: '/new$$' },
      });
      expect(route({ match: { safe_regex: { regex: '/x/.*' } }, route: { cluster: 'c', prefix_rewrite: '/y' } }).route?.route).toMatchObject({
        regex_rewrite: { pattern: { regex: '^[\\s\\S]*$' }, substitution: '/y' },
      });
      expect(route({ match: { prefix: '/API', case_sensitive: { value: false } }, route: { cluster: 'c', prefix_rewrite: '/v2' } }).route?.route).toMatchObject({
        regex_rewrite: { pattern: { regex: '^\\/[aA][pP][iI]' }, substitution: '/v2' },
      });
    });

    it('converts regex_rewrite substitutions (\\1 → ${1}, \\0 → $&)', () => {
      const { route: r, errors } = route({ match: { prefix: '/' }, route: { cluster: 'c', regex_rewrite: { pattern: { regex: '^/svc/([^/]+)/(.*)$' }, substitution: '/\\2/\\1\\0' } } });
      expect(errors).toEqual([]);
      expect(r?.route).toMatchObject({ regex_rewrite: { pattern: { regex: '^/svc/([^/]+)/(.*)$' }, substitution: '/${2}/${1}$&' } });
    });

    it('converts retry policies, the virtual host\'s for routes without one', () => {
      const { json, errors, warnings } = convert(
        withRoutes(
          [
            { match: { prefix: '/a' }, route: { cluster: 'c', retry_policy: { retry_on: '5xx,retriable-4xx,reset', num_retries: { value: 3 }, per_try_timeout: { nanos: 250_000_000 }, retriable_status_codes: [503] } } },
            { match: { prefix: '/b' }, route: toC },
            { match: { prefix: '/c' }, route: { cluster: 'c', retry_policy: { retry_on: 'refused-stream' } } },
          ],
          { retry_policy: { retry_on: 'connect-failure', retry_back_off: { base_interval: { seconds: 1 } } } },
        ),
      );
      expect(errors).toEqual([]);
      const routes = (json?.virtual_hosts as Array<{ routers: Array<{ route: Message }> }>)[0]!.routers;
      expect(routes.map((r) => r.route.retry_policy)).toEqual([
        { retry_on: '5xx,reset', num_retries: 3, retry_timeout: '250ms', status_codes: [503] },
        { retry_on: 'connect-failure', num_retries: 1 },
        undefined,
      ]);
      expect(warnings.map((w) => w.path)).toEqual([
        'rc.virtual_hosts[0].retry_policy.retry_back_off',
        'rc.virtual_hosts[0].routes[0].route.retry_policy.retry_on',
        'rc.virtual_hosts[0].routes[2].route.retry_policy.retry_on',
      ]);
      expect(warnings[1]?.message).toBe('retriable-4xx not supported by mosn-ts; left out (mosn-ts knows 5xx, gateway-error, reset, connect-failure, retriable-status-codes)');
    });

    it('refuses what would send requests elsewhere and warns about optional features', () => {
      const { errors, warnings } = convert(
        withRoutes([
          { match: { prefix: '/a' }, route: { cluster_header: 'x-cluster' } },
          { match: { prefix: '/b' }, route: { cluster_specifier_plugin: 'p' } },
          { match: { prefix: '/c' }, filter_action: {} },
          { match: { prefix: '/d' }, route: { cluster: 'c', internal_redirect_policy: {} } },
          {
            match: { prefix: '/e' },
            route: { cluster: 'c', cors: {}, request_mirror_policies: [{ cluster: 'm' }], rate_limits: [{ actions: [{ remote_address: {} }] }], idle_timeout: { seconds: 1 }, priority: 'HIGH' },
            decorator: { operation: 'op' },
            typed_per_filter_config: { 'envoy.filters.http.fault': { type_url: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.alloc(0) } },
          },
        ]),
      );
      const short = (p: string) => p.replace('rc.virtual_hosts[0].', '');
      expect(errors.map((e) => short(e.path))).toEqual(['routes[0].route.cluster_header', 'routes[1].route.cluster_specifier_plugin', 'routes[2].filter_action', 'routes[3].route.internal_redirect_policy']);
      expect(warnings.map((w) => short(w.path))).toEqual([
        'routes[4].decorator',
        'routes[4].typed_per_filter_config',
        'routes[4].route.priority',
        'routes[4].route.idle_timeout',
        'routes[4].route.request_mirror_policies',
        'routes[4].route.rate_limits',
        'routes[4].route.cors',
      ]);
    });
  });

  describe('direct responses and redirects', () => {
    it('converts direct_response with an inline body', () => {
      expect(route({ match: { path: '/health', case_sensitive: { value: false } }, direct_response: { status: 200, body: { inline_string: 'ok' } } }).route).toEqual({
        match: { path: '/health' },
        direct_response: { status: 200, body: 'ok' },
      });
      expect(route({ match: { prefix: '/' }, direct_response: { status: 503, body: { inline_bytes: Buffer.from('down') } } }).route?.direct_response).toEqual({ status: 503, body: 'down' });
      expect(route({ match: { prefix: '/' }, direct_response: { status: 404 } }).route?.direct_response).toEqual({ status: 404 });
    });

    it('refuses a body from a file, not UTF-8, or over the limit', () => {
      expect(route({ match: { prefix: '/' }, direct_response: { status: 200, body: { filename: '/x' } } }).errors[0]?.message).toBe('a body from filename is not supported by mosn-ts (inline_string or inline_bytes)');
      expect(route({ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_bytes: Buffer.from([0xff, 0xfe]) } } }).errors[0]?.path).toMatch(/body\.inline_bytes$/);
      const big = route({ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'x'.repeat(20) } } }, {}, { max_direct_response_body_size_bytes: { value: 10 } });
      expect(big.errors[0]?.message).toBe('the body is 20 bytes, more than max_direct_response_body_size_bytes (10) (Envoy refuses it)');
    });

    it('converts redirects', () => {
      expect(route({ match: { prefix: '/' }, redirect: { https_redirect: true } }).route?.redirect).toEqual({ response_code: 301, scheme_redirect: 'https' });
      expect(route({ match: { prefix: '/' }, redirect: { host_redirect: 'b.com', path_redirect: '/new', response_code: 'TEMPORARY_REDIRECT', scheme_redirect: 'HTTP' } }).route?.redirect).toEqual({
        response_code: 307,
        scheme_redirect: 'http',
        host_redirect: 'b.com',
        path_redirect: '/new',
      });
      const { errors } = route({ match: { prefix: '/' }, redirect: { port_redirect: 8443, prefix_rewrite: '/x', strip_query: true } });
      expect(errors.map((e) => e.path.replace('rc.virtual_hosts[0].routes[0].redirect.', ''))).toEqual(['port_redirect', 'prefix_rewrite', 'strip_query']);
    });

    it('warns that response header changes are not made on a local answer', () => {
      const { warnings } = route({ match: { prefix: '/' }, direct_response: { status: 200 } }, { response_headers_to_add: [{ header: { key: 'x-vh', value: '1' } }] });
      expect(warnings).toEqual([
        { path: 'rc.virtual_hosts[0].routes[0]', message: 'response header changes (of this route, its virtual host or its route configuration) are not made on a direct response by mosn-ts; ignored for this route' },
      ]);
    });
  });

  describe('header changes', () => {
    it('converts the three levels, append as MOSN reads it', () => {
      const { json, errors } = convert(
        withRoutes(
          [
            {
              match: { prefix: '/' },
              route: toC,
              request_headers_to_add: [
                { header: { key: 'x-route', value: 'a' } },
                { header: { key: 'x-over', value: 'b' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
                { header: { key: 'x-old', value: 'c' }, append: { value: false } },
                { header: { key: 'x-empty', value: '' } },
                { header: { key: 'x-kept', value: '' }, keep_empty_value: true },
              ],
              request_headers_to_remove: ['x-gone'],
              response_headers_to_add: [{ header: { key: 'x-client', value: '%DOWNSTREAM_REMOTE_ADDRESS%' } }],
            },
          ],
          { request_headers_to_add: [{ header: { key: 'x-vh', value: '%REQ(x-user)%' } }], response_headers_to_remove: ['server'] },
          { request_headers_to_add: [{ header: { key: 'x-pct', value: '100%%' } }] },
        ),
      );
      expect(errors).toEqual([]);
      expect(json).toEqual({
        router_config_name: 'r',
        request_headers_to_add: [{ header: { key: 'x-pct', value: '100%' }, append: true }],
        virtual_hosts: [
          {
            name: 'vh',
            domains: ['*'],
            request_headers_to_add: [{ header: { key: 'x-vh', value: '%request_header_x-user%' }, append: true }],
            response_headers_to_remove: ['server'],
            routers: [
              {
                match: { prefix: '/' },
                route: {
                  cluster_name: 'c',
                  timeout: '15s',
                  request_headers_to_add: [
                    { header: { key: 'x-route', value: 'a' }, append: true },
                    { header: { key: 'x-over', value: 'b' }, append: false },
                    { header: { key: 'x-old', value: 'c' }, append: false },
                    { header: { key: 'x-kept', value: '' }, append: true },
                  ],
                  request_headers_to_remove: ['x-gone'],
                  response_headers_to_add: [{ header: { key: 'x-client', value: '%downstream_remote_address%' }, append: true }],
                },
              },
            ],
          },
        ],
      });
    });

    it('adds (replacing) a header one level both removes and adds, as Envoy removes first', () => {
      const { route: r } = route({ match: { prefix: '/' }, route: toC, request_headers_to_remove: ['x-a', 'x-b'], request_headers_to_add: [{ header: { key: 'x-a', value: '1' } }] });
      expect(r?.route).toMatchObject({ request_headers_to_add: [{ header: { key: 'x-a', value: '1' }, append: false }], request_headers_to_remove: ['x-b'] });
    });

    it('refuses what MOSN would send otherwise', () => {
      const { errors } = route({
        match: { prefix: '/' },
        route: toC,
        request_headers_to_add: [
          { header: { key: 'x-a', value: 'v' }, append_action: 'ADD_IF_ABSENT' },
          { header: { key: 'x-b', value: 'id=%REQ(x-id)%' } },
          { header: { key: 'x-c', value: '%PROTOCOL%' } },
          { header: { key: ':path', value: '/' } },
        ],
        response_headers_to_add: [{ header: { key: 'Set-Cookie', value: 'a=b' } }],
      });
      expect(errors.map((e) => e.path.replace('rc.virtual_hosts[0].routes[0].', ''))).toEqual([
        'request_headers_to_add[0].append_action',
        'request_headers_to_add[1].header.value',
        'request_headers_to_add[2].header.value',
        'request_headers_to_add[3].header.key',
        'response_headers_to_add[0]',
      ]);
    });

    it('refuses most_specific_header_mutations_wins where it changes the result', () => {
      const changes = { request_headers_to_add: [{ header: { key: 'x-a', value: 'rc' }, append: { value: false } }] };
      const r = { match: { prefix: '/' }, route: toC, request_headers_to_add: [{ header: { key: 'x-a', value: 'route' }, append: { value: false } }] };
      expect(route(r, {}, { ...changes, most_specific_header_mutations_wins: true }).errors).toEqual([
        {
          path: 'rc.virtual_hosts[0].routes[0]',
          message: 'request x-a changed at more than one level: with most_specific_header_mutations_wins the most specific level wins in Envoy, the route configuration\'s in mosn-ts',
        },
      ]);
      expect(route(r, {}, changes).errors).toEqual([]);
      expect(route({ match: { prefix: '/' }, route: toC }, {}, { ...changes, most_specific_header_mutations_wins: true }).errors).toEqual([]);
    });
  });

  describe('virtual hosts and the route configuration', () => {
    it('refuses what Envoy refuses or mosn-ts cannot do', () => {
      const { errors, warnings } = convert({
        name: 'r',
        vhds: { config_source: { ads: {} } },
        internal_only_headers: ['x-internal'],
        virtual_hosts: [
          { name: 'a', domains: ['a.com', 'www.*'], require_tls: 'ALL', routes: [], cors: {}, virtual_clusters: [{ name: 'vc' }] },
          { name: '', domains: ['A.com'], routes: [] },
          { name: 'c', domains: [], routes: [] },
        ],
      });
      expect(errors.map((e) => e.path)).toEqual([
        'rc.vhds',
        'rc.internal_only_headers',
        'rc.virtual_hosts[0].domains[1]',
        'rc.virtual_hosts[0].require_tls',
        'rc.virtual_hosts[1].name',
        'rc.virtual_hosts[1].domains[0]',
        'rc.virtual_hosts[2].domains',
      ]);
      expect(errors[5]?.message).toBe('domain "A.com" is also in virtual_hosts[0] (Envoy refuses duplicates)');
      expect(warnings.map((w) => w.path)).toEqual(['rc.virtual_hosts[0].virtual_clusters', 'rc.virtual_hosts[0].cors']);
    });

    it('takes validate_clusters and ignore_port_in_host_matching without a problem', () => {
      const { errors, warnings } = convert(withRoutes([{ match: { prefix: '/' }, route: toC }], {}, { validate_clusters: { value: false }, ignore_port_in_host_matching: true }));
      expect([errors, warnings]).toEqual([[], []]);
    });
  });
});
