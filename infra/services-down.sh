#!/usr/bin/env bash
# Stop ONLY the daemons that infra/services-up.sh started itself, by the pid
# recorded in $MESSAGING_INFRA_STATE_DIR/<name>.pid (default /tmp/messaging-infra).
# A pid file is honoured only if the same process (pid + start time + name) is
# still alive, so a reused pid is never killed. Services started some other way
# are left alone. For dev use.
#
# Usage: infra/services-down.sh [caddy] [pebble] [redis] [rabbitmq] [dockerd]   (default: all)
#
# SIGTERM, then SIGKILL if the daemon is still alive after its grace period:
# redis 15 s, rabbitmq 60 s (graceful node stop), dockerd 60 s (dockerd stops
# its containers and its own containerd). RabbitMQ's epmd (started by the
# Erlang VM as a separate daemon) is left running; it is harmless.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ $# -eq 0 ]; then set -- caddy pebble redis rabbitmq dockerd; fi

stop_one() { # name grace-seconds
    local name="$1" grace="$2" f pid t0 deadline
    f="$(pidfile_path "$name")"
    if [ ! -e "$f" ]; then
        log "$name: not started by infra (no $f), leaving it alone"
        return 0
    fi
    if ! pid="$(owned_pid "$name")"; then
        log "$name: recorded process is gone, removing stale $f"
        rm -f "$f"
        return 0
    fi
    t0="$(now_ms)"
    log "$name: stopping pid $pid (SIGTERM)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(now_ms) + grace * 1000 ))
    while proc_alive "$pid" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.25; done
    if proc_alive "$pid"; then
        warn "$name: pid $pid still alive after ${grace}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$f"
    log "$name: stopped in $(elapsed_s "$t0")"
}

for svc in "$@"; do
    case "$svc" in
        caddy)    stop_one caddy 15 ;;
        pebble)   stop_one pebble 10 ;;
        redis)    stop_one redis 15 ;;
        rabbitmq) stop_one rabbitmq 60 ;;
        dockerd)  stop_one dockerd 60 ;;
        *) die "unknown service '$svc' (caddy, pebble, redis, rabbitmq, dockerd)" ;;
    esac
done
