#!/usr/bin/env bash
# End-to-end test of the container packaging: docker-compose.yml, Dockerfile.api,
# Dockerfile.worker, Dockerfile.audit and .env.example, on this machine's Docker engine.
#
#   1. makes sure the images exist: infra/build-test-images.sh (nginx:alpine) and
#      infra/compose-images.sh (stand-ins of the public base images + NuGet feed), unless
#      --no-images;
#   2. writes an env file from .env.example with test values: a random token and broker
#      password, free host ports for the API, AMQP and the management UI, the socket's group,
#      Docker:Instance=compose-test, NUGET_SOURCE=/nuget-feed;
#   3. `up -d --build` as project messaging-compose-test, waits until every service is healthy;
#   4. asks the API for a service (the README's body, with a unique name), polls it until
#      running, fetches the service container's page on its host port, reads its audit trail
#      (CreateService and ServiceCreated, recorded by the audit host), removes it again;
#   5. checks the isolation: the API has no socket, no Docker CLI and runs as non-root; the
#      worker runs as non-root with the socket's group as a supplementary group; the audit host
#      runs as non-root with no other group, no socket, a read-only root and no capabilities;
#      the management UI answers, Redis runs append-only;
#   6. always tears down (trap): `down -v`, and the service containers labelled
#      messaging.instance=compose-test.
# Prints PASS/FAIL per check and "N passed, N failed"; exits non-zero when a check failed.
#
# Usage: infra/compose-test.sh [--no-images] [--keep]
#   --no-images  do not run the image scripts (the images must exist)
#   --keep       leave the stack running for a look (tear it down with the printed command)
# Environment: COMPOSE_TEST_PROJECT (default messaging-compose-test), COMPOSE_TEST_COMPOSE
# (the compose command; default `docker compose` when it works, else `docker-compose`),
# COMPOSE_TEST_NUGET_SOURCE (default /nuget-feed; empty = restore from nuget.org),
# COMPOSE_TEST_TIMEOUT (seconds to wait for healthy services, default 240).
set -uo pipefail
# shellcheck source=compose/compose-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/compose/compose-lib.sh"

DO_IMAGES=1 KEEP=0
SERVICES=(rabbitmq redis api worker audit)   # every service of docker-compose.yml
APP_SERVICES=(api worker audit)              # those built from a Dockerfile.<name>
for arg in "$@"; do
    case "$arg" in
        --no-images) DO_IMAGES=0 ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "usage: $0 [--no-images] [--keep]" ;;
    esac
done

PROJECT="${COMPOSE_TEST_PROJECT:-messaging-compose-test}"
INSTANCE=compose-test
NUGET_SOURCE_TEST="${COMPOSE_TEST_NUGET_SOURCE-/nuget-feed}"
HEALTH_TIMEOUT="${COMPOSE_TEST_TIMEOUT:-240}"
LOG_DIR="${MESSAGING_COMPOSE_LOGS:-/tmp/messaging-compose}"
EXPECT_PAGE="messaging test image nginx:alpine"
SOCKET=/var/run/docker.sock
mkdir -p "$LOG_DIR"
T_ALL="$(now_ms)"
PASSED=0 FAILED=0
pass() { printf '[compose-test] PASS: %s\n' "$*"; PASSED=$((PASSED + 1)); }
fail() { printf '[compose-test] FAIL: %s\n' "$*"; FAILED=$((FAILED + 1)); }
check() { # description command... -> PASS/FAIL by exit code
    local what="$1"; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

summary() {
    printf '[compose-test] %s in %s\n' "$([ "$FAILED" -eq 0 ] && echo 'all checks passed' || echo 'FAILED')" "$(elapsed_s "$T_ALL")"
    echo "$PASSED passed, $FAILED failed"
}
abort() { # a step the rest depends on failed
    fail "$*"
    summary
    exit 1
}

# ------------------------------------------------------------------------- compose tool ---
if [ -n "${COMPOSE_TEST_COMPOSE:-}" ]; then
    read -r -a COMPOSE <<<"$COMPOSE_TEST_COMPOSE"
elif [ -n "$DOCKER" ] && "$DOCKER" compose version >/dev/null 2>&1; then
    COMPOSE=("$DOCKER" compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
else
    ensure_packages docker-compose:docker-compose
    COMPOSE=(docker-compose)
fi
docker_answers || die "docker engine not answering on $DOCKER_HOST (run infra/services-up.sh first)"
command -v curl >/dev/null 2>&1 || ensure_packages curl:curl
command -v jq >/dev/null 2>&1 || ensure_packages jq:jq

# ----------------------------------------------------------------------------- settings ---
# The env file decides, not whatever the calling shell exports (the shell would win over it).
ENV_KEYS=()
mapfile -t ENV_KEYS < <(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' "$REPO_DIR/.env.example")
for k in "${ENV_KEYS[@]}"; do unset "$k"; done
export DOCKER_HOST="unix://$SOCKET"
used_ports() { ss -Htln 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -un; }
PICKED=" "
free_port() { # a port in 30000-44999 nobody listens on and not picked before
    local p i
    for i in $(seq 1 500); do
        p=$((30000 + RANDOM % 15000))
        case "$PICKED" in *" $p "*) continue ;; esac
        used_ports | grep -qx "$p" && continue
        PICKED+="$p "
        printf '%s' "$p"; return 0
    done
    return 1
}
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

API_PORT="$(free_port)" && AMQP_PORT="$(free_port)" && MGMT_PORT="$(free_port)" || die "no free ports"
# Service ports: a block of 100 well away from the host test suite's (11000-20000).
PORTS_MIN=$((45000 + (RANDOM % 40) * 100)); PORTS_MAX=$((PORTS_MIN + 99))
TOKEN="$(random_hex 24)"
RABBIT_USER=compose-test
RABBIT_PASS="$(random_hex 12)"
DOCKER_GID="$(stat -c %g "$SOCKET")"
SERVICE_NAME="ct-$(date +%H%M%S)-$(random_hex 3)"

ENV_FILE="$LOG_DIR/compose-test.env"
set_env() { # KEY VALUE: replace the line of .env.example or append
    if grep -q "^$1=" "$ENV_FILE"; then
        local esc; esc="$(printf '%s' "$2" | sed 's/[&|\\]/\\&/g')"
        sed -i "s|^$1=.*|$1=$esc|" "$ENV_FILE"
    else
        printf '%s=%s\n' "$1" "$2" >>"$ENV_FILE"
    fi
}
( umask 077; cp "$REPO_DIR/.env.example" "$ENV_FILE" )
set_env COMPOSE_PROJECT_NAME "$PROJECT"
set_env MESSAGING_TOKEN "$TOKEN"
set_env API_BIND 127.0.0.1
set_env API_PORT "$API_PORT"
set_env DOCKER_GID "$DOCKER_GID"
set_env DOCKER_SOCKET "$SOCKET"
set_env DOCKER_HOST "unix://$SOCKET"
set_env PUBLISH_ADDRESS 127.0.0.1
set_env PORTS_MIN "$PORTS_MIN"
set_env PORTS_MAX "$PORTS_MAX"
set_env MESSAGING_INSTANCE "$INSTANCE"
set_env PULL_MISSING_IMAGES false
set_env RABBITMQ_USER "$RABBIT_USER"
set_env RABBITMQ_PASS "$RABBIT_PASS"
set_env RABBITMQ_BIND 127.0.0.1
set_env RABBITMQ_PORT "$AMQP_PORT"
set_env RABBITMQ_MANAGEMENT_PORT "$MGMT_PORT"
set_env NUGET_SOURCE "$NUGET_SOURCE_TEST"
set_env NUGET_CERT_REVOCATION_MODE offline

compose() { "${COMPOSE[@]}" --env-file "$ENV_FILE" -p "$PROJECT" -f "$REPO_DIR/docker-compose.yml" "$@"; }
cid_of() { compose ps -q "$1" 2>/dev/null | head -n 1; }

cleanup() {
    local ids
    if [ "$KEEP" = 1 ]; then
        log "--keep: left running; tear down with:"
        log "  ${COMPOSE[*]} --env-file $ENV_FILE -p $PROJECT -f $REPO_DIR/docker-compose.yml down -v; docker rm -f \$(docker ps -aq --filter label=messaging.instance=$INSTANCE)"
        return 0
    fi
    compose down -v --remove-orphans -t 10 >>"$LOG_DIR/compose-test-down.log" 2>&1 \
        || warn "compose down failed (see $LOG_DIR/compose-test-down.log)"
    ids="$(docker_cli ps -aq --filter "label=messaging.instance=$INSTANCE")"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || docker_cli rm -f $ids >/dev/null 2>&1 || warn "could not remove service containers $ids"
    rm -f "$ENV_FILE"
}
on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    cleanup
    left="$(docker_cli ps -aq --filter "label=com.docker.compose.project=$PROJECT"; docker_cli ps -aq --filter "label=messaging.instance=$INSTANCE")"
    if [ "$KEEP" = 0 ] && [ -n "$left" ]; then
        echo "[compose-test] FAIL: containers left after clean-up: $(echo $left)"
        rc=1
    elif [ "$KEEP" = 0 ]; then
        log "cleaned up: project $PROJECT down (volumes removed), no container with messaging.instance=$INSTANCE left"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

log "compose: $("${COMPOSE[@]}" version 2>/dev/null | head -n 1); project $PROJECT; API on 127.0.0.1:$API_PORT, AMQP $AMQP_PORT, management UI $MGMT_PORT, service ports $PORTS_MIN-$PORTS_MAX, socket group $DOCKER_GID"

# ------------------------------------------------------------------------------- images ---
if [ "$DO_IMAGES" = 1 ]; then
    t0="$(now_ms)"
    bash "$INFRA_DIR/build-test-images.sh" >"$LOG_DIR/compose-test-images.log" 2>&1 \
        && bash "$INFRA_DIR/compose-images.sh" >>"$LOG_DIR/compose-test-images.log" 2>&1 \
        || { tail -n 20 "$LOG_DIR/compose-test-images.log"; abort "image scripts (log $LOG_DIR/compose-test-images.log)"; }
    pass "stand-in images and NuGet feed ready ($(elapsed_s "$t0"))"
fi

# Leftovers of an interrupted earlier run.
compose down -v --remove-orphans -t 5 >"$LOG_DIR/compose-test-down.log" 2>&1 || true
ids="$(docker_cli ps -aq --filter "label=messaging.instance=$INSTANCE")"
# shellcheck disable=SC2086
[ -z "$ids" ] || docker_cli rm -f $ids >/dev/null 2>&1 || true

if out="$(compose config -q 2>&1)"; then
    pass "docker-compose.yml + env file accepted by ${COMPOSE[*]} (config -q)"
else
    printf '%s\n' "$out"
    abort "docker-compose.yml rejected by ${COMPOSE[*]} config"
fi

# --------------------------------------------------------------------------- up, health ---
# The classic builder keeps every build as untagged images (~1 GB for a build stage). Images that
# this run's build supersedes are dropped after it: build-stage tips of an older build when this
# one made new ones, and the previous api/worker/audit images that lost their tag.
stage_tips() { docker_cli images -q --no-trunc -f dangling=true -f "label=messaging.build-stage=$1"; }
old_finals() { docker_cli images -q --no-trunc -f dangling=true -f "label=org.opencontainers.image.title=messaging-$1"; }
declare -A STAGES_BEFORE=() FINALS_BEFORE=()
for g in "${APP_SERVICES[@]}"; do STAGES_BEFORE[$g]="$(stage_tips "$g")"; FINALS_BEFORE[$g]="$(old_finals "$g")"; done
tidy_images() {
    local g id new drop=()
    for g in "${APP_SERVICES[@]}"; do
        new="$(comm -13 <(sort <<<"${STAGES_BEFORE[$g]}") <(stage_tips "$g" | sort) | grep . || true)"
        # shellcheck disable=SC2206
        [ -n "$new" ] && drop+=(${STAGES_BEFORE[$g]})
        # shellcheck disable=SC2207
        drop+=($(comm -13 <(sort <<<"${FINALS_BEFORE[$g]}") <(old_finals "$g" | sort)))
    done
    for id in "${drop[@]}"; do docker_cli rmi "$id" >/dev/null 2>&1 || true; done
    [ "${#drop[@]}" -eq 0 ] || log "dropped ${#drop[@]} superseded build image(s)"
}

t0="$(now_ms)"
log "up -d --build (log $LOG_DIR/compose-test-up.log)"
if compose up -d --build >"$LOG_DIR/compose-test-up.log" 2>&1; then
    pass "up -d --build ($(elapsed_s "$t0"))"
    tidy_images
    t0="$(now_ms)"
else
    tail -n 40 "$LOG_DIR/compose-test-up.log"
    for s in "${SERVICES[@]}"; do
        c="$(cid_of "$s")"; [ -n "$c" ] && { echo "--- logs $s"; docker_cli logs --tail 20 "$c" 2>&1; }
    done
    abort "up -d --build failed"
fi

health() { # container -> healthy/unhealthy/starting/exited...
    docker_cli inspect --format '{{if .State.Running}}{{if .State.Health}}{{.State.Health.Status}}{{else}}running{{end}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null || echo missing
}
declare -A HEALTHY_AFTER=()
deadline=$(( $(date +%s) + HEALTH_TIMEOUT ))
while :; do
    pending=0
    for s in "${SERVICES[@]}"; do
        [ -n "${HEALTHY_AFTER[$s]:-}" ] && continue
        c="$(cid_of "$s")"
        st="$( [ -n "$c" ] && health "$c" || echo missing)"
        if [ "$st" = healthy ]; then HEALTHY_AFTER[$s]="$(elapsed_s "$t0")"; else pending=1; fi
    done
    [ "$pending" = 0 ] && break
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 2
done
for s in "${SERVICES[@]}"; do
    if [ -n "${HEALTHY_AFTER[$s]:-}" ]; then
        pass "$s healthy (${HEALTHY_AFTER[$s]} after up returned)"
    else
        c="$(cid_of "$s")"
        fail "$s not healthy within ${HEALTH_TIMEOUT}s (state: $( [ -n "$c" ] && health "$c" || echo missing))"
        if [ -n "$c" ]; then
            docker_cli inspect --format '{{if .State.Health}}{{range .State.Health.Log}}{{.ExitCode}}: {{.Output}}{{end}}{{end}}' "$c" 2>/dev/null | tail -n 5
            docker_cli logs --tail 30 "$c" 2>&1 | sed "s/^/    [$s] /"
        fi
    fi
done
[ "$FAILED" -eq 0 ] || abort "services not healthy; nothing more to test"

API_CID="$(cid_of api)"
WORKER_CID="$(cid_of worker)"
AUDIT_CID="$(cid_of audit)"
REDIS_CID="$(cid_of redis)"
API="http://127.0.0.1:$API_PORT"
AUTH=(-H "Authorization: Bearer $TOKEN")

# ---------------------------------------------------------------------------- the API ---
code="$(curl -s -o /dev/null -m 10 -w '%{http_code}' "$API/health/ready")"
check "GET /health/ready on the published port 127.0.0.1:$API_PORT answers 200 (got $code)" [ "$code" = 200 ]
code="$(curl -s -o /dev/null -m 10 -w '%{http_code}' "$API/api/v1/services")"
check "GET /api/v1/services without a token answers 401 (got $code)" [ "$code" = 401 ]

BODY="{\"service_name\":\"$SERVICE_NAME\",\"image\":\"nginx:alpine\",\"memory_limit\":\"128m\",\"cpu_limit\":0.5}"
resp="$(curl -s -m 20 -w '\n%{http_code}' -X POST "$API/api/v1/services" "${AUTH[@]}" \
    -H 'Content-Type: application/json' -d "$BODY")"
code="${resp##*$'\n'}"; resp="${resp%$'\n'*}"
SERVICE_ID="$(jq -r '.service_id // empty' <<<"$resp" 2>/dev/null)"
if [ "$code" = 202 ] && [ -n "$SERVICE_ID" ]; then
    pass "POST /api/v1/services ($SERVICE_NAME, nginx:alpine, 128m, 0.5 CPU) answers 202 with service_id $SERVICE_ID"
else
    abort "POST /api/v1/services answered $code: $resp"
fi

status="" record=""
t0="$(now_ms)"
for _ in $(seq 1 90); do
    record="$(curl -s -m 10 "$API/api/v1/services/$SERVICE_ID" "${AUTH[@]}")"
    status="$(jq -r '.status // empty' <<<"$record" 2>/dev/null)"
    case "$status" in running|failed) break ;; esac
    sleep 1
done
if [ "$status" = running ]; then
    pass "GET /api/v1/services/{id} reaches status running ($(elapsed_s "$t0"))"
else
    printf '    record: %s\n' "$record"
    docker_cli logs --tail 30 "$WORKER_CID" 2>&1 | sed 's/^/    [worker] /'
    abort "service did not reach running (status '$status')"
fi
HOST="$(jq -r '.host // empty' <<<"$record")"
HOST_PORT="$(jq -r '.host_port // empty' <<<"$record")"
CONTAINER_ID="$(jq -r '.container_id // empty' <<<"$record")"
check "host_port $HOST_PORT is in the configured range $PORTS_MIN-$PORTS_MAX" \
    test -n "$HOST_PORT" -a "${HOST_PORT:-0}" -ge "$PORTS_MIN" -a "${HOST_PORT:-0}" -le "$PORTS_MAX"

page=""
for _ in $(seq 1 20); do
    page="$(curl -s -m 5 "http://127.0.0.1:$HOST_PORT/" 2>/dev/null)" && [[ "$page" == *"$EXPECT_PAGE"* ]] && break
    sleep 0.5
done
check "the service container answers on ${HOST:-127.0.0.1}:$HOST_PORT ('$EXPECT_PAGE')" grep -qF "$EXPECT_PAGE" <<<"$page"

labels="$(docker_cli inspect --format '{{index .Config.Labels "messaging.instance"}} {{index .Config.Labels "messaging.service-id"}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$CONTAINER_ID" 2>/dev/null)"
check "the service container carries messaging.instance=$INSTANCE and its service id, on the network proxy_network ($labels)" \
    test "$(awk '{print $1" "$2" "$3}' <<<"$labels")" = "$INSTANCE $SERVICE_ID proxy_network"
# The audit host records the command (from the API) and the event (from the worker) on its own
# queue; the API reads them back from Redis. Asynchronous: poll for a while.
events="" types=""
t0="$(now_ms)"
for _ in $(seq 1 30); do
    events="$(curl -s -m 10 "$API/api/v1/services/$SERVICE_ID/events?limit=200" "${AUTH[@]}")"
    types="$(jq -r '[.items[]?.type] | join(" ")' <<<"$events" 2>/dev/null)"
    grep -qw CreateService <<<"$types" && grep -qw ServiceCreated <<<"$types" && break
    sleep 1
done
if grep -qw CreateService <<<"$types" && grep -qw ServiceCreated <<<"$types"; then
    pass "GET /api/v1/services/{id}/events has the audit host's CreateService and ServiceCreated entries ($types; $(elapsed_s "$t0"))"
else
    printf '    events: %s\n' "$events"
    docker_cli logs --tail 30 "$AUDIT_CID" 2>&1 | sed 's/^/    [audit] /'
    fail "GET /api/v1/services/{id}/events lacks CreateService or ServiceCreated (types: '${types:-none}')"
fi
icc="$(docker_cli network inspect --format '{{index .Options "com.docker.network.bridge.enable_icc"}}' proxy_network 2>/dev/null)"
check "proxy_network has inter-container traffic off (enable_icc=$icc)" [ "$icc" = false ]

# ----------------------------------------------------------------------- isolation ---
api_uid="$(docker_cli exec "$API_CID" id -u 2>/dev/null)"
api_user="$(docker_cli inspect --format '{{.Config.User}}' "$API_CID")"
check "api runs as non-root (id -u = $api_uid, Config.User = '$api_user')" \
    test -n "$api_uid" -a "$api_uid" != 0 -a -n "$api_user" -a "$api_user" != root -a "$api_user" != 0
check "api has no /var/run/docker.sock" \
    docker_cli exec "$API_CID" sh -c '! test -e /var/run/docker.sock && ! test -e /run/docker.sock'
api_mounts="$(docker_cli inspect --format '{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}' "$API_CID")"
check "api mounts nothing of the engine (mounts: '${api_mounts:-none}')" eval '! grep -q docker.sock <<<"$api_mounts"'
check "api image has no Docker CLI" \
    docker_cli exec "$API_CID" sh -c '! command -v docker >/dev/null && ! command -v dockerd >/dev/null'
check "api container has a read-only root file system and no capabilities" \
    test "$(docker_cli inspect --format '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}}' "$API_CID")" = "true [ALL]"

# The memory setting the benchmark measured (docs/BENCHMARKS.md) reaches the processes that ship.
gen0="$(docker_cli exec "$API_CID" sh -c 'tr "\0" "\n" </proc/1/environ | grep ^DOTNET_GCgen0size=' 2>/dev/null) / $(docker_cli exec "$WORKER_CID" sh -c 'tr "\0" "\n" </proc/1/environ | grep ^DOTNET_GCgen0size=' 2>/dev/null)"
check "api and worker run with the GC gen0 budget of their images ($gen0)" \
    test "$gen0" = "DOTNET_GCgen0size=0x600000 / DOTNET_GCgen0size=0x600000"

worker_uid="$(docker_cli exec "$WORKER_CID" id -u 2>/dev/null)"
worker_groups="$(docker_cli exec "$WORKER_CID" id -G 2>/dev/null)"
check "worker runs as non-root (id -u = $worker_uid)" test -n "$worker_uid" -a "$worker_uid" != 0
check "worker has the socket's group $DOCKER_GID as a supplementary group (id -G = $worker_groups)" \
    grep -qw "$DOCKER_GID" <<<"$worker_groups"
check "worker image has no Docker CLI" \
    docker_cli exec "$WORKER_CID" sh -c '! command -v docker >/dev/null'
check "worker health file says Healthy" \
    test "$(docker_cli exec "$WORKER_CID" cat /tmp/messaging-worker.health 2>/dev/null)" = Healthy

audit_uid="$(docker_cli exec "$AUDIT_CID" id -u 2>/dev/null)"
audit_groups="$(docker_cli exec "$AUDIT_CID" id -G 2>/dev/null)"
audit_user="$(docker_cli inspect --format '{{.Config.User}}' "$AUDIT_CID")"
check "audit runs as non-root with no supplementary group (id -u = $audit_uid, id -G = $audit_groups, Config.User = '$audit_user')" \
    test -n "$audit_uid" -a "$audit_uid" != 0 -a "$audit_groups" = "$(docker_cli exec "$AUDIT_CID" id -g 2>/dev/null)" \
        -a -n "$audit_user" -a "$audit_user" != root -a "$audit_user" != 0
audit_mounts="$(docker_cli inspect --format '{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}' "$AUDIT_CID")"
check "audit has no /var/run/docker.sock and mounts nothing of the engine (mounts: '${audit_mounts:-none}')" \
    eval 'docker_cli exec "$AUDIT_CID" sh -c "! test -e /var/run/docker.sock && ! test -e /run/docker.sock" && ! grep -q docker.sock <<<"$audit_mounts"'
check "audit container has a read-only root file system, no capabilities and no published port" \
    test "$(docker_cli inspect --format '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}}' "$AUDIT_CID")" = "true [ALL]" \
        -a -z "$(docker_cli port "$AUDIT_CID" 2>/dev/null)"
check "audit health file says Healthy" \
    test "$(docker_cli exec "$AUDIT_CID" cat /tmp/messaging-audit.health 2>/dev/null)" = Healthy

# -------------------------------------------------------------------- broker, Redis ---
code="$(curl -s -o /dev/null -m 10 -w '%{http_code}' -u "$RABBIT_USER:$RABBIT_PASS" "http://127.0.0.1:$MGMT_PORT/api/overview")"
check "RabbitMQ management UI answers on 127.0.0.1:$MGMT_PORT with the configured user (got $code)" [ "$code" = 200 ]
aof="$(docker_cli exec "$REDIS_CID" redis-cli config get appendonly 2>/dev/null | tail -n 1)"
check "Redis runs with appendonly=$aof" [ "$aof" = yes ]
check "Redis is not published on the host" test -z "$(docker_cli port "$REDIS_CID" 2>/dev/null)"

# ----------------------------------------------------------------------- removal ---
code="$(curl -s -o /dev/null -m 20 -w '%{http_code}' -X DELETE "$API/api/v1/services/$SERVICE_ID" "${AUTH[@]}")"
status=""
for _ in $(seq 1 60); do
    status="$(curl -s -m 10 "$API/api/v1/services/$SERVICE_ID" "${AUTH[@]}" | jq -r '.status // empty' 2>/dev/null)"
    [ "$status" = removed ] && break
    sleep 1
done
check "DELETE answers 202 ($code) and the service ends removed ($status), its container gone" \
    test "$code" = 202 -a "$status" = removed -a -z "$(docker_cli ps -aq --filter "id=$CONTAINER_ID")"

summary
[ "$FAILED" -eq 0 ]
