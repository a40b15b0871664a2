#!/usr/bin/env bash
# Ensure dockerd, RabbitMQ and Redis are installed and running, then build the
# local test images. Idempotent: a service that already answers is left alone
# (whoever started it), so a second run is a fast no-op.
#
# Usage: infra/services-up.sh
#
# Logs and pid files: $MESSAGING_INFRA_STATE_DIR (default /tmp/messaging-infra)
#   dockerd.log rabbitmq.log redis.log build-*.log apt.log
#   dockerd.pid rabbitmq.pid redis.pid  -> only for daemons started by this script;
#   infra/services-down.sh stops exactly those.
#
# Endpoints the app/tests use:
#   Docker  unix:///var/run/docker.sock (engine 20.10, API 1.41)
#   AMQP    amqp://guest:guest@localhost:5672/
#   Redis   localhost:6379
#   pebble  https://127.0.0.1:8400/dir (ACME test CA; roots at https://127.0.0.1:8401/roots/0)
#   Caddy   admin on unix:$STATE_DIR/caddy/admin.sock (infra/caddy-up.sh); routes come from the edge host
#
# dockerd flags: on these Debian 12 VMs (kernel 6.x, cgroup v1, iptables-nft
# 1.8.9) dockerd 20.10 needs NO extra flags: overlay2 on ext4, the bridge
# network and published ports (-p 127.0.0.1:X:80) all work out of the box.
# For machines where dockerd dies at start-up because of iptables (a kernel
# without nf_tables, or a broken nft backend) there is a fallback:
#   DOCKERD_IPTABLES_MODE=auto   (default) plain start; if dockerd exits with an
#                                iptables error, retry with legacy iptables, then
#                                with --iptables=false.
#   DOCKERD_IPTABLES_MODE=nft|legacy|off   force one of them.
# "legacy" puts a private dir with iptables -> iptables-legacy symlinks first in
# dockerd's PATH only (the system's update-alternatives are not changed).
# "off" = --iptables=false: published ports on 127.0.0.1 still work through
# docker-proxy, but containers get no outbound NAT.
# Anything else can be passed with DOCKERD_EXTRA_ARGS.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T_ALL="$(now_ms)"
ensure_state_dir
# One services-up at a time (parallel test runs would otherwise race to start
# the same daemons). The lock is released when this script exits.
exec 9>"$STATE_DIR/services-up.lock"
if ! flock -n 9; then
    log "another services-up.sh is running, waiting for it (max 300 s)"
    flock -w 300 9 || die "timed out waiting for $STATE_DIR/services-up.lock"
fi
STARTED_ANY=0
SUMMARY=()

# promtool checks and unit-tests infra/prometheus/alerts.yml (AlertRulesTests).
ensure_packages \
    dockerd:docker.io containerd:containerd runc:runc \
    rabbitmq-server:rabbitmq-server rabbitmq-diagnostics:rabbitmq-server \
    redis-server:redis-server redis-cli:redis-tools \
    busybox-static:busybox-static \
    pebble:pebble caddy:caddy openssl:openssl \
    promtool:prometheus \
    chromium:chromium npm:npm  # the dashboard's browser tests (Playwright drives Debian's chromium) and their axe-core
pick_docker_cli   # docker.io may just have been installed

# Poll "$@" every 0.25 s until it succeeds; give up after $timeout seconds or
# as soon as the optional watched pid ($WATCH_PID) dies.
wait_until() { # timeout cmd...
    local timeout="$1"; shift
    local deadline=$(( $(now_ms) + timeout * 1000 ))
    while :; do
        if "$@"; then return 0; fi
        if [ -n "${WATCH_PID:-}" ] && ! proc_alive "$WATCH_PID"; then return 2; fi
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.25
    done
}

# ----------------------------------------------------------------- dockerd ---
iptables_legacy_shim() {
    local d="$STATE_DIR/iptables-legacy-bin" t
    mkdir -p "$d"
    for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
        [ -x "/usr/sbin/${t/tables/tables-legacy}" ] || die "iptables-legacy not available (${t/tables/tables-legacy})"
        ln -sfn "/usr/sbin/${t/tables/tables-legacy}" "$d/$t"
    done
    printf '%s' "$d"
}

# Returns 0 when up, 3 when dockerd died with an iptables-related error, dies otherwise.
try_start_dockerd() { # mode
    local mode="$1" logf="$STATE_DIR/dockerd.log" path="$PATH" rc=0 t0 pid
    local -a args=()
    # shellcheck disable=SC2206
    [ -n "${DOCKERD_EXTRA_ARGS:-}" ] && args+=(${DOCKERD_EXTRA_ARGS})
    case "$mode" in
        nft)    ;;
        legacy) path="$(iptables_legacy_shim):$PATH" ;;
        off)    args+=(--iptables=false --ip-masq=false) ;;
        *)      die "unknown DOCKERD_IPTABLES_MODE '$mode'" ;;
    esac
    log "dockerd: starting (iptables mode: $mode${args[*]:+, args: ${args[*]}}), log $logf"
    t0="$(now_ms)"
    local lines_before=0
    [ -f "$logf" ] && lines_before="$(wc -l <"$logf")"
    PATH="$path" spawn_detached "$logf" dockerd "${args[@]}"
    WATCH_PID="$STARTED_PID" wait_until 60 docker_answers || rc=$?
    if [ "$rc" -eq 0 ]; then
        pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
        [ "$(proc_comm "${pid:-0}")" = dockerd ] || pid="$STARTED_PID"
        write_pidfile dockerd "$pid"
        printf '%s\n' "$mode" >"$STATE_DIR/dockerd.mode"
        log "dockerd: up after $(elapsed_s "$t0") (pid $pid, engine $("$DOCKER" version --format '{{.Server.Version}} API {{.Server.APIVersion}}'))"
        return 0
    fi
    if [ "$rc" -eq 1 ]; then
        warn "dockerd (pid $STARTED_PID) still not answering after 60 s; last log lines:"
        tail -n 15 "$logf" >&2
        die "dockerd did not come up (left running: pid $STARTED_PID)"
    fi
    # dockerd exited
    if tail -n +"$((lines_before + 1))" "$logf" | grep -qiE 'iptables|nf_tables|nat chain|xtables'; then
        warn "dockerd exited during start-up with an iptables error:"
        tail -n +"$((lines_before + 1))" "$logf" | grep -iE 'iptables|nf_tables|nat chain|xtables' | tail -n 3 >&2
        return 3
    fi
    tail -n 20 "$logf" >&2
    die "dockerd exited during start-up (see $logf)"
}

start_dockerd() {
    local t0 pid modes mode
    t0="$(now_ms)"
    if docker_answers; then
        pid="$(owned_pid dockerd || true)"
        log "dockerd: already answering on $DOCKER_HOST ($([ -n "$pid" ] && echo "started by infra, pid $pid" || echo "not started by infra"))"
        SUMMARY+=("dockerd $("$DOCKER" version --format '{{.Server.Version}}') ($DOCKER_HOST)")
        return 0
    fi
    pid="$(pids_by_comm dockerd | head -n 1)"
    if [ -n "$pid" ]; then
        log "dockerd: process $pid exists (not answering yet), waiting for it"
        WATCH_PID="$pid" wait_until 60 docker_answers || die "existing dockerd $pid does not answer on $DOCKER_HOST"
        log "dockerd: answering after $(elapsed_s "$t0")"
        SUMMARY+=("dockerd $("$DOCKER" version --format '{{.Server.Version}}') ($DOCKER_HOST)")
        return 0
    fi
    [ "$(id -u)" = 0 ] || die "dockerd is not running and we are not root"
    case "${DOCKERD_IPTABLES_MODE:-auto}" in
        auto) modes="nft legacy off" ;;
        *)    modes="${DOCKERD_IPTABLES_MODE}" ;;
    esac
    for mode in $modes; do
        if try_start_dockerd "$mode"; then
            STARTED_ANY=1
            SUMMARY+=("dockerd $("$DOCKER" version --format '{{.Server.Version}}') ($DOCKER_HOST, started, iptables=$mode)")
            return 0
        fi
    done
    die "dockerd could not be started in any iptables mode ($modes); see $STATE_DIR/dockerd.log"
}

# ---------------------------------------------------------------- RabbitMQ ---
# (9>&-: the Erlang CLI may spawn epmd, which must not inherit the lock fd)
rabbit_ping() { rabbitmq-diagnostics -q -n "$RABBIT_NODE" ping >/dev/null 2>&1 9>&-; }
rabbit_answers() { port_open 127.0.0.1 "$RABBITMQ_AMQP_PORT" && rabbit_ping; }

rabbit_beam_pids() { # beam.smp processes running the rabbit app
    local p
    for p in $(pids_by_comm beam.smp); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- '-s rabbit boot' && printf '%s\n' "$p"
    done
    return 0
}

start_rabbitmq() {
    local t0 pid beam rc=0 logf="$STATE_DIR/rabbitmq.log" rundir="$STATE_DIR/rabbitmq"
    t0="$(now_ms)"
    if rabbit_answers; then
        pid="$(owned_pid rabbitmq || true)"
        log "rabbitmq: already answering on :$RABBITMQ_AMQP_PORT, node $RABBIT_NODE ($([ -n "$pid" ] && echo "started by infra, pid $pid" || echo "not started by infra"))"
        SUMMARY+=("rabbitmq ($RABBIT_NODE, amqp://guest:guest@localhost:$RABBITMQ_AMQP_PORT)")
        return 0
    fi
    beam="$(rabbit_beam_pids | head -n 1)"
    if [ -n "$beam" ]; then
        log "rabbitmq: node process $beam exists (not answering yet), waiting for it"
        WATCH_PID="$beam" wait_until 90 rabbit_answers || die "existing RabbitMQ node $beam does not answer"
        log "rabbitmq: answering after $(elapsed_s "$t0")"
        SUMMARY+=("rabbitmq ($RABBIT_NODE, amqp://guest:guest@localhost:$RABBITMQ_AMQP_PORT)")
        return 0
    fi
    [ "$(id -u)" = 0 ] || die "RabbitMQ is not running and we are not root"
    id rabbitmq >/dev/null 2>&1 || die "user rabbitmq missing (rabbitmq-server package broken?)"
    # The Debian wrapper /usr/sbin/rabbitmq-server switches to user rabbitmq
    # (su; HOME becomes /var/lib/rabbitmq, where the Erlang cookie lives) and
    # runs the node in the foreground. RABBITMQ_LOGS=- sends the node's log to
    # stdout, i.e. to our log file; the node writes its beam pid to a file in a
    # directory it can write to.
    install -d -o rabbitmq -g rabbitmq /var/lib/rabbitmq /var/log/rabbitmq "$rundir"
    rm -f "$rundir/beam.pid"
    log "rabbitmq: starting node $RABBIT_NODE, log $logf"
    RABBITMQ_LOGS=- RABBITMQ_PID_FILE="$rundir/beam.pid" \
        spawn_detached "$logf" /usr/sbin/rabbitmq-server
    WATCH_PID="$STARTED_PID" wait_until 90 rabbit_answers || rc=$?
    if [ "$rc" -ne 0 ]; then
        tail -n 25 "$logf" >&2
        [ "$rc" -eq 2 ] && die "rabbitmq-server exited during start-up (see $logf)"
        die "RabbitMQ did not answer within 90 s (see $logf; left running: pid $STARTED_PID)"
    fi
    beam="$(cat "$rundir/beam.pid" 2>/dev/null || true)"
    [ "$(proc_comm "${beam:-0}")" = beam.smp ] || beam="$(rabbit_beam_pids | head -n 1)"
    [ -n "$beam" ] || die "RabbitMQ answers but its beam.smp pid is unknown"
    write_pidfile rabbitmq "$beam"
    STARTED_ANY=1
    log "rabbitmq: up after $(elapsed_s "$t0") (beam.smp pid $beam, node $RABBIT_NODE)"
    SUMMARY+=("rabbitmq ($RABBIT_NODE, amqp://guest:guest@localhost:$RABBITMQ_AMQP_PORT, started)")
}

# ------------------------------------------------------------------- Redis ---
redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

start_redis() {
    local t0 pid rc=0 logf="$STATE_DIR/redis.log" dir="$STATE_DIR/redis"
    t0="$(now_ms)"
    if redis_answers; then
        pid="$(owned_pid redis || true)"
        log "redis: already answering on 127.0.0.1:$REDIS_PORT ($([ -n "$pid" ] && echo "started by infra, pid $pid" || echo "not started by infra"))"
        SUMMARY+=("redis (127.0.0.1:$REDIS_PORT)")
        return 0
    fi
    port_open 127.0.0.1 "$REDIS_PORT" && die "port $REDIS_PORT is taken by something that is not answering Redis PING"
    mkdir -p "$dir"
    rm -f "$dir/redis.pid"
    log "redis: starting on 127.0.0.1:$REDIS_PORT (no persistence), log $logf"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
        --save '' --appendonly no --dir "$dir" \
        --pidfile "$dir/redis.pid" --logfile "$logf" 9>&- \
        || die "redis-server failed to start (see $logf)"
    wait_until 30 redis_answers || rc=$?
    [ "$rc" -eq 0 ] || { tail -n 20 "$logf" >&2; die "Redis did not answer PING within 30 s"; }
    pid="$(cat "$dir/redis.pid" 2>/dev/null || true)"
    [ "$(proc_comm "${pid:-0}")" = redis-server ] || die "Redis answers but its pid file $dir/redis.pid is wrong"
    write_pidfile redis "$pid"
    STARTED_ANY=1
    log "redis: up after $(elapsed_s "$t0") (pid $pid)"
    SUMMARY+=("redis (127.0.0.1:$REDIS_PORT, started)")
}

# RabbitMQ's management plugin: its HTTP API on :15672 is how the shell example of docs/CONTRACTS.md
# (and README "Messages for other systems") publishes a command and reads an event without any client
# library. Enabling is idempotent (rabbitmq-plugins records it, so it survives a node restart); skipped
# when the API already answers.
RABBITMQ_MANAGEMENT_PORT="${RABBITMQ_MANAGEMENT_PORT:-15672}"
management_answers() { curl -sf -o /dev/null -u guest:guest "http://127.0.0.1:$RABBITMQ_MANAGEMENT_PORT/api/overview"; }
enable_rabbitmq_management() {
    ensure_packages curl:curl
    if management_answers; then
        log "rabbitmq management: already answering on :$RABBITMQ_MANAGEMENT_PORT"
        return 0
    fi
    log "rabbitmq management: enabling the plugin"
    rabbitmq-plugins -q -n "$RABBIT_NODE" enable rabbitmq_management >/dev/null 9>&- \
        || die "rabbitmq-plugins enable rabbitmq_management failed"
    wait_until 60 management_answers || die "RabbitMQ management API does not answer on :$RABBITMQ_MANAGEMENT_PORT"
    log "rabbitmq management: answering on :$RABBITMQ_MANAGEMENT_PORT"
}

# ------------------------------------------------------- pebble (ACME test CA) ---
# Debian's pebble: a real ACME server for the edge tests, which never validates a challenge
# (PEBBLE_VA_ALWAYS_VALID=1), so Caddy gets certificates for any name offline. Its own HTTPS uses a pair made here
# with openssl (Caddy is told to trust it: Edge:Tls:AcmeServerRootFile); the roots it issues from are new at each
# start and served at https://127.0.0.1:$PEBBLE_MANAGEMENT_PORT/roots/0, which the tests trust (and nothing else).
PEBBLE_PORT="${PEBBLE_PORT:-8400}"
PEBBLE_MANAGEMENT_PORT="${PEBBLE_MANAGEMENT_PORT:-8401}"
pebble_answers() { curl -sf -o /dev/null --max-time 2 --cacert "$STATE_DIR/pebble/tls.pem" "https://127.0.0.1:$PEBBLE_PORT/dir"; }
start_pebble() {
    local dir="$STATE_DIR/pebble" t0 rc=0
    t0="$(now_ms)"
    if [ -s "$dir/tls.pem" ] && pebble_answers; then
        log "pebble: already answering on https://127.0.0.1:$PEBBLE_PORT/dir"
        SUMMARY+=("pebble (https://127.0.0.1:$PEBBLE_PORT/dir)")
        return 0
    fi
    port_open 127.0.0.1 "$PEBBLE_PORT" && die "port $PEBBLE_PORT is taken by something that is not pebble (set PEBBLE_PORT)"
    mkdir -p "$dir"
    if [ ! -s "$dir/tls.pem" ]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=localhost \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$dir/tls-key.pem" -out "$dir/tls.pem" >>"$STATE_DIR/pebble.log" 2>&1 \
            || die "openssl could not make pebble's TLS pair (see $STATE_DIR/pebble.log)"
    fi
    cat >"$dir/pebble.json" <<JSON
{"pebble":{"listenAddress":"127.0.0.1:$PEBBLE_PORT","managementListenAddress":"127.0.0.1:$PEBBLE_MANAGEMENT_PORT",
 "certificate":"$dir/tls.pem","privateKey":"$dir/tls-key.pem","httpPort":5002,"tlsPort":5001,
 "ocspResponderURL":"","externalAccountBindingRequired":false}}
JSON
    log "pebble: starting on 127.0.0.1:$PEBBLE_PORT (management :$PEBBLE_MANAGEMENT_PORT), log $STATE_DIR/pebble.log"
    PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
        spawn_detached "$STATE_DIR/pebble.log" pebble -config "$dir/pebble.json"
    WATCH_PID="$STARTED_PID" wait_until 30 pebble_answers || rc=$?
    [ "$rc" -eq 0 ] || { tail -n 20 "$STATE_DIR/pebble.log" >&2; die "pebble did not answer within 30 s"; }
    write_pidfile pebble "$STARTED_PID"
    STARTED_ANY=1
    log "pebble: up after $(elapsed_s "$t0") (pid $STARTED_PID)"
    SUMMARY+=("pebble (https://127.0.0.1:$PEBBLE_PORT/dir, started)")
}

start_dockerd
start_rabbitmq
enable_rabbitmq_management
start_redis
start_pebble
"$INFRA_DIR/caddy-up.sh" 9>&-   # the edge proxy, admin socket only (infra/caddy-up.sh)
SUMMARY+=("caddy (unix:$STATE_DIR/caddy/admin.sock)")

# Test images (fast no-op when up to date). It prints "[infra] images: rebuilt"
# when something was built; then (or when a daemon was just started) run the
# quick container smoke test: published port + hardened container options.
IMG_OUT="$("$INFRA_DIR/build-test-images.sh")" || { printf '%s\n' "$IMG_OUT"; die "build-test-images.sh failed"; }
printf '%s\n' "$IMG_OUT"
if [ "$STARTED_ANY" = 1 ] || grep -q '^\[infra\] images: rebuilt' <<<"$IMG_OUT"; then
    if [ "${INFRA_SMOKE:-1}" != 0 ]; then
        "$INFRA_DIR/verify.sh" --docker-only || die "container smoke test failed"
    fi
fi

# axe-core for the dashboard's accessibility check, as pinned in its lockfile (no-op when that version is there).
ensure_axe_core() {
    local dir="$INFRA_DIR/../tests/Messaging.IntegrationTests/Dashboard/axe" want have
    want="$(sed -n 's/.*"axe-core": *"\([^"]*\)".*/\1/p' "$dir/package.json" | head -n 1)"
    # Nothing installed yet on a fresh clone: sed fails, which must not end the script (set -e, pipefail).
    have="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dir/node_modules/axe-core/package.json" 2>/dev/null | head -n 1 || true)"
    [ -n "$want" ] && [ "$want" = "$have" ] && return 0
    log "axe-core $want: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci of axe-core failed"
}
ensure_axe_core
SUMMARY+=("chromium $(chromium --version 2>/dev/null | awk '{print $2}')")

SUMMARY_TEXT="$(printf '%s; ' "${SUMMARY[@]}")"
log "running: ${SUMMARY_TEXT}images: $(sed -n 's/^# tag: *//p' "$INFRA_DIR"/images/*/Dockerfile | tr '\n' ' ')— done in $(elapsed_s "$T_ALL")"
