#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hosts served through a real nginx cache in front of the central lockset,
# configured with tests/api/fleet/nginx-lockset.conf (the README's snippet):
# two real hosts install bundles through it and report through it; twenty
# long-polls of one slot cost the central one request, and a change reaches
# them all; nginx answers conditional requests with 304 and the Link to
# follow; a request without a valid token never gets a cached bundle; the
# bundle still verifies after the cache.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need openssl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "SKIP: nginx is not installed (Debian package nginx-light)"; exit 77; }

ed25519_pair "$T/sign.pem" "$T/pub.pem"
"$LOCKSETD" --state-dir "$STATE" --create-token fleet --role runtime >"$T/token"
chmod 600 "$T/token"
TOKEN=$(cat "$T/token")
# nginx asks for the upstream by its name, lockset_central: the central,
# on loopback, answers for it only once --allowed-host names it.
lockset_start --bundle-signing-key "$T/sign.pem" --allowed-host lockset_central || exit 1

# --- nginx with the snippet
NG="$T/nginx"
mkdir -p "$NG/cache" "$NG/tmp"
NPORT=$(free_port)
cat >"$NG/nginx.conf" <<EOF
worker_processes 1;
daemon off;
user root;
pid $NG/nginx.pid;
error_log $NG/error.log info;
events { worker_connections 1024; }
http {
	log_format lockset '\$status \$upstream_cache_status \$upstream_addr "\$request"';
	access_log $NG/access.log lockset;
	client_body_temp_path $NG/tmp/body;
	proxy_temp_path $NG/tmp/proxy;
	fastcgi_temp_path $NG/tmp/fastcgi;
	uwsgi_temp_path $NG/tmp/uwsgi;
	scgi_temp_path $NG/tmp/scgi;
	proxy_cache_path $NG/cache keys_zone=lockset:10m inactive=10m;
	upstream lockset_central { server 127.0.0.1:$PORT; keepalive 16; }
	server {
		listen 127.0.0.1:$NPORT;
		include $LOCKSET_SRCDIR/tests/api/fleet/nginx-lockset.conf;
	}
}
EOF
"$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" >"$NG/stdout" 2>&1 &
NGINX_PID=$!
# The master stops its workers on SIGTERM (a SIGKILL would orphan them).
nginx_stop() { kill -TERM "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null; }
trap 'nginx_stop; cleanup' EXIT
check "nginx starts with the snippet" wait_until 10 bash -c "ss -ltnH 'sport = :$NPORT' | grep -q LISTEN"
NGX="http://127.0.0.1:$NPORT"
AUTH=(-H "Authorization: Bearer $TOKEN")

# --- two real hosts behind it
HOST_PIDS=
host_start() { # NAME
	local d="$T/$1"
	mkdir -p "$d/etc"
	chmod 755 "$d" "$d/etc"
	cp "$LOCKSET_SRCDIR/tests/cases/policy/valid/version-only.json" "$d/etc/admin-settings.json"
	chmod 644 "$d/etc/admin-settings.json"
	"$LOCKSETD" --settings "$d/etc/admin-settings.json" --state-dir "$d/state" \
		--listen "unix:$d/api.sock" --authz-socket '' --foreground --host-name "$1" \
		--upstream "$NGX" --upstream-token-file "$T/token" --bundle-key "$T/pub.pem" \
		--upstream-wait 5 --upstream-retry-max 1 --upstream-report-interval 1 \
		>>"$d/daemon.log" 2>&1 &
	EXTRA_PIDS="$! ${EXTRA_PIDS:-}"
}
host_has() { # NAME VERSION
	[ "$(curl -s --unix-socket "$T/$1/api.sock" http://lockset/v1/health |
		jq -r .upstream.bundleVersion 2>/dev/null)" = "$2" ]
}
host_start web-1
host_start web-2
check "web-1 installs bundle 1 through nginx" wait_until 15 host_has web-1 1
check "web-2 installs bundle 1 through nginx" wait_until 15 host_has web-2 1
api PATCH /v1/policy -H 'Content-Type: application/merge-patch+json' \
	-d '{"analyticsEnabled": {"locked": true, "value": false}}'
check "a change reaches web-1 through nginx" wait_until 15 host_has web-1 2
check "and web-2" wait_until 15 host_has web-2 2
both_reported() { api GET '/v1/hosts?version=2'; [ "$(jqb '.summary.current')" = 2 ]; }
check "both report bundle 2 through nginx to the central" wait_until 15 both_reported
check "the hosts' polls were answered from the cache" \
	wait_until 15 grep -q ' HIT - "GET /v1/bundle?after=' "$NG/access.log"

# --- twenty long-polls of one slot: one request reaches the central
curl -s "${AUTH[@]}" -D "$T/h0" -o "$T/b0" "$NGX/v1/bundle"
ETAG=$(grep -i '^etag:' "$T/h0" | sed 's/^[^:]*: *//; s/\r$//')
check "the bundle verifies after the cache" bash -c "jq -cS .bundle '$T/b0' | tr -d '\n' >'$T/canon' &&
	jq -r .signature.value '$T/b0' | base64 -d >'$T/sig' &&
	openssl pkeyutl -verify -pubin -inkey '$T/pub.pem' -rawin -in '$T/canon' -sigfile '$T/sig' >/dev/null"
SLOT=$(($(date +%s) / 60))
URL="/v1/bundle?after=2&slot=$SLOT&wait=60"
for i in $(seq 20); do
	curl -s "${AUTH[@]}" -H "If-None-Match: $ETAG" -o "$T/lp$i.body" -D "$T/lp$i.h" \
		-w '%{http_code}\n' "$NGX$URL" >"$T/lp$i.status" &
	LP_PIDS="${LP_PIDS:-} $!"
done
EXTRA_PIDS="$LP_PIDS ${EXTRA_PIDS:-}"
held() { [ "$(grep -c "\"GET $URL" "$NG/access.log")" = 0 ] && [ "$(ss -tnH state established "dport = :$NPORT" | wc -l)" -ge 20 ]; }
check "the twenty polls are held" wait_until 10 held
api PATCH /v1/policy -H 'Content-Type: application/merge-patch+json' \
	-d '{"analyticsEnabled": {"locked": true, "value": true}}'
for p in $LP_PIDS; do wait "$p"; done
check "every poll answered 200 with the change" \
	test "$(cat "$T"/lp*.status | grep -c '^200$')" = 20
check "each carries bundle 3" test "$(cat "$T"/lp*.body | jq -r .bundle.version | sort -u)" = 3
check "one poll reached the central (MISS)" \
	test "$(grep "\"GET $URL" "$NG/access.log" | grep -c ' MISS ')" = 1
check "nineteen were answered by nginx (HIT)" \
	test "$(grep "\"GET $URL" "$NG/access.log" | grep -c ' HIT - ')" = 19
check "the reply links to the next poll" grep -qi '^link: <bundle?after=3&slot=' "$T/lp1.h"

# --- conditional requests: nginx answers 304 with the Link
NEW=$(grep -i '^etag:' "$T/lp1.h" | sed 's/^[^:]*: *//; s/\r$//')
S=$(curl -s "${AUTH[@]}" -H "If-None-Match: $NEW" -D "$T/h304" -o /dev/null -w '%{http_code}' "$NGX$URL")
check "a host holding the bundle gets 304 from the cache" test "$S" = 304
check "the 304 carries the Link to follow" grep -qi '^link: <bundle?after=3&slot=' "$T/h304"

# --- no valid token, no cached bundle
S=$(curl -s -o "$T/noauth" -w '%{http_code}' "$NGX$URL")
check "without a token: 401 from the central" test "$S" = 401
S=$(curl -s -H 'Authorization: Bearer lst_not-a-token' -o /dev/null -w '%{http_code}' "$NGX$URL")
check "with an unknown token: 401" test "$S" = 401

finish
