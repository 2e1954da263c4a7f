# shellcheck shell=bash disable=SC2034 # read by common.sh and the scripts that source it
# The canary: what each baseline proxy usually costs, in CPU µs per request (per handshake for TLS handshakes), on
# THIS machine: the 2-core development VM (Linux 6.18, Node 20, nginx 1.22.1, HAProxy 2.6.12). Figures from quiet
# runs where there are some; a figure from a busy run is likely above the quiet cost (a laxer canary), so replace
# it with a quiet one when you have it.
# A run in which the baseline needed more than CANARY_FACTOR x its usual cost was slowed by something (other load,
# CPU frequency, noisy neighbours) that slows mosn differently, so its ratios flatter or wrong mosn: the scripts
# print "no verdict (baseline slow)" instead of MET/MISSED.
#
# Updating: on another machine (or after a kernel/nginx/haproxy upgrade), run each script on a quiet machine
# (other processes ~0%, see the last line of its output) two or three times, and put here the baseline's
# "CPU us/req" (the RESULT line's baseline_cpu_us=) rounded to a typical value. Each knob can also be overridden
# from the environment for one run (e.g. USUAL_NGINX_PROXY_H1_US=30 benchmarks/http1/run.sh).

CANARY_FACTOR="${CANARY_FACTOR:-1.3}" # the baseline may cost up to this many times its usual before "baseline slow"

# nginx reverse proxy, HTTP/1.1 keep-alive (http1/run.sh, nginx-proxy): 12.6 and 16.3 on 2026-12-03 14:57 UTC
USUAL_NGINX_PROXY_H1_US="${USUAL_NGINX_PROXY_H1_US:-15}"
# nginx backend answering directly (http1/ and tcp/ "direct"): ~6-8 on 2026-12-03 (shown, not a canary)
USUAL_NGINX_DIRECT_US="${USUAL_NGINX_DIRECT_US:-7}"
# haproxy mode tcp, nbthread 1, wrk keep-alive through it (tcp/run.sh, haproxy-tcp): 8.8 on 2026-12-03 15:00 UTC
# (a short run, others at 53%). 20.8 on 2026-11-25, when nginx-proxy took 27 µs/req on this VM: it got faster since.
USUAL_HAPROXY_TCP_US="${USUAL_HAPROXY_TCP_US:-9}"
# haproxy mode tcp in front of the Bolt / Dubbo echo server, 4 connections x 64 in flight, 1 KiB bodies
# (bolt/ and dubbo/ haproxy-tcp, closed loop; the proxy CPU of a whole run / (requests/s x wall)): 0.9 for Bolt,
# 2026-12-03 15:01 UTC and 1.40 at 15:03 (short runs: DURATION=2 ROUNDS=1, others at 63% and 27%); Dubbo 0.90
# at 15:04 (others at 58%)
USUAL_HAPROXY_BOLT_US="${USUAL_HAPROXY_BOLT_US:-1}"
USUAL_HAPROXY_DUBBO_US="${USUAL_HAPROXY_DUBBO_US:-1}"
# nginx `listen ... http2` -> HTTP/1.1 keep-alive upstream (http2/run.sh, nginx-h1up): 16.6 on 2026-12-03 15:03
# (a short run, others at 13%); 28.9-29.7 on 2026-11-26, before the VM got faster (as nginx-proxy above)
USUAL_NGINX_H2_US="${USUAL_NGINX_H2_US:-17}"
# nginx grpc_pass (grpc/run.sh, nginx-grpc, no target: shown only): 41.8 on 2026-12-03 15:03 (a short run, others
# at 17%); 69.6-74.5 on 2026-11-26
USUAL_NGINX_GRPC_US="${USUAL_NGINX_GRPC_US:-42}"
# nginx terminating TLS, HTTP/1.1 keep-alive (tls/run.sh part 1, nginx-tls): 21.7 (2026-12-03 09:27, quiet);
# 19.3-23.4 in four runs that day with others at 10-27%
USUAL_NGINX_TLS_US="${USUAL_NGINX_TLS_US:-21}"
# nginx, one full TLS 1.3 handshake (tls/run.sh part 2): RSA 2048 1,040; ECDSA P-256 450 (2026-12-03)
USUAL_NGINX_TLS_HS_RSA_US="${USUAL_NGINX_TLS_HS_RSA_US:-1040}"
USUAL_NGINX_TLS_HS_EC_US="${USUAL_NGINX_TLS_HS_EC_US:-450}"
