#!/usr/bin/env bash
# Check that the services from services-up.sh really work:
#   - Docker: run nginx:alpine hardened the way the worker runs containers
#     (cap-drop ALL + NET_BIND_SERVICE, no-new-privileges, read-only root with a
#     noexec /tmp tmpfs, 128m memory without swap, pids limit) with a port published on 127.0.0.1,
#     fetch the page from the host; then the same as non-root user 101 (port 80
#     still binds: Docker 20.10 sets net.ipv4.ip_unprivileged_port_start=0);
#     check docker stop is quick; remove the containers.
#   - RabbitMQ: node ping + AMQP port 5672 reachable.
#   - Redis: PING/SET/GET on 6379.
#
# Usage: infra/verify.sh [--docker-only] [--port N]   (default port 11999; N+1 is used too)
# Containers carry the label messaging.instance=infra-smoke and are always removed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKER_ONLY=0
PORT=11999
while [ $# -gt 0 ]; do
    case "$1" in
        --docker-only) DOCKER_ONLY=1 ;;
        --port) PORT="$2"; shift ;;
        *) die "usage: $0 [--docker-only] [--port N]" ;;
    esac
    shift
done

SMOKE_LABEL=messaging.instance=infra-smoke
EXPECT="messaging test image nginx:alpine"
FAILED=0
fail() { printf '[infra] FAIL: %s\n' "$*" >&2; FAILED=1; }
ok()   { log "OK: $*"; }

http_get() { # port -> body on stdout
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -m 3 "http://127.0.0.1:$1/"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -T 3 -O - "http://127.0.0.1:$1/"
    else
        exec 3<>"/dev/tcp/127.0.0.1/$1"
        printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        timeout 3 cat <&3
        exec 3<&-
    fi
}

cleanup() { "$INFRA_DIR/cleanup-containers.sh" "$SMOKE_LABEL" >/dev/null 2>&1 || true; }

smoke_container() { # description port extra-run-args...
    local what="$1" port="$2" cid body t0; shift 2
    if ! cid="$(docker_cli run -d --label "$SMOKE_LABEL" \
            --cap-drop ALL --cap-add NET_BIND_SERVICE --read-only --tmpfs /tmp:rw,noexec,nosuid,size=64m \
            --security-opt no-new-privileges --memory 128m --memory-swap 128m --pids-limit 100 \
            -p "127.0.0.1:$port:80" "$@" nginx:alpine 2>&1)"; then
        fail "docker run nginx:alpine ($what): $cid"; return
    fi
    body=""
    for _ in $(seq 1 40); do
        body="$(http_get "$port" 2>/dev/null || true)"
        case "$body" in *"$EXPECT"*) break ;; esac
        sleep 0.25
    done
    case "$body" in
        *"$EXPECT"*) ok "nginx:alpine $what answers on 127.0.0.1:$port ('$EXPECT')" ;;
        *) fail "nginx:alpine $what on 127.0.0.1:$port did not serve the page; logs:"
           docker_cli logs "$cid" 2>&1 | tail -n 5 >&2 ;;
    esac
    t0="$(now_ms)"
    docker_cli stop -t 10 "$cid" >/dev/null 2>&1 || fail "docker stop $cid"
    ok "docker stop took $(elapsed_s "$t0")"
    docker_cli rm -f "$cid" >/dev/null 2>&1 || true
}

# ------------------------------------------------------------------ docker ---
if docker_answers; then
    ok "docker engine $(docker_cli version --format '{{.Server.Version}} (API {{.Server.APIVersion}})') on $DOCKER_HOST"
    trap cleanup EXIT
    cleanup
    smoke_container "as root, hardened" "$PORT"
    smoke_container "as user 101:101, hardened" "$((PORT + 1))" --user 101:101
    if out="$(docker_cli run --rm --label "$SMOKE_LABEL" messaging-test/busybox:latest \
            sh -c 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start' 2>&1)"; then
        ok "messaging-test/busybox:latest runs (in-container net.ipv4.ip_unprivileged_port_start=$out)"
    else
        fail "messaging-test/busybox:latest: $out"
    fi
else
    fail "docker engine not answering on $DOCKER_HOST"
fi

if [ "$DOCKER_ONLY" = 0 ]; then
    # ------------------------------------------------------------ RabbitMQ ---
    if port_open 127.0.0.1 "$RABBITMQ_AMQP_PORT"; then
        ok "AMQP port 127.0.0.1:$RABBITMQ_AMQP_PORT open"
    else
        fail "AMQP port 127.0.0.1:$RABBITMQ_AMQP_PORT closed"
    fi
    if out="$(rabbitmq-diagnostics -q -n "$RABBIT_NODE" ping 2>&1)"; then
        ok "rabbitmq-diagnostics ping: $out"
    else
        fail "rabbitmq-diagnostics ping: $out"
    fi
    if out="$(rabbitmqctl -q -n "$RABBIT_NODE" authenticate_user guest guest 2>&1)"; then
        ok "rabbitmq user guest/guest authenticates"
    else
        fail "rabbitmq guest/guest: $out"
    fi
    # --------------------------------------------------------------- Redis ---
    if [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>&1)" = PONG ] \
        && redis-cli -h 127.0.0.1 -p "$REDIS_PORT" set infra:verify ok EX 10 >/dev/null \
        && [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" get infra:verify)" = ok ]; then
        ok "redis 127.0.0.1:$REDIS_PORT PING/SET/GET"
    else
        fail "redis 127.0.0.1:$REDIS_PORT not answering"
    fi
fi

[ "$FAILED" = 0 ] || die "verification failed"
log "verify: all checks passed"
