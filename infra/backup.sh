#!/usr/bin/env bash
# Backs up the state of a running compose stack (docker-compose.yml) into a new folder
# <dir>/<project>-<UTC time>/, while it runs (docs/OPERATIONS.md, "Backup and restore"):
#   redis/dump.rdb               a snapshot of Redis (BGSAVE; the script waits until LASTSAVE says it is done,
#                                and redis-check-rdb reads it): every service record, reservation and quota usage,
#                                every token (hashes, never the secrets), webhook subscriptions, stacks, and the audit
#                                trail (the Redis stream `<prefix>audit` and its per-service indexes)
#   rabbitmq/definitions.json    the broker's definitions (rabbitmqctl export_definitions): users (password hashes),
#                                vhosts, permissions, policies, exchanges, queues, bindings; not the messages
#   edge/edge-data.tar           Caddy's storage (certificates, ACME account), when the edge runs: a restore then
#                                need not ask the CA for every certificate again
#   manifest.txt, SHA256SUMS     what was backed up from where; restore.sh checks the sums
# Not in it (keep them yourself, they are files on this host): the secrets folder (SECRETS_DIR, ./secrets), .env and
# docker-compose.override.yml. The folder is the owner's alone (0700): it holds webhook signing secrets and
# password hashes.
#
# Usage: infra/backup.sh [-p PROJECT] [--env-file FILE] [-o DIR]
#   -p, --env-file  which stack (infra/compose/stack-lib.sh): default as compose decides (COMPOSE_PROJECT_NAME,
#                   then .env, then the folder's name)
#   -o DIR          where the backup folder is made (default BACKUP_DIR, else ./backups beside docker-compose.yml)
# Prints the backup folder's path as its last line.
set -euo pipefail
# shellcheck source=compose/compose-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/compose/compose-lib.sh"
# shellcheck source=compose/stack-lib.sh
. "$COMPOSE_DIR/stack-lib.sh"

parent="${BACKUP_DIR:-$REPO_DIR/backups}"
while [ $# -gt 0 ]; do
    if [ $# -ge 2 ] && stack_option "$1" "$2"; then shift 2; continue; fi
    case "$1" in
        -o) [ $# -ge 2 ] || die "-o needs a folder"; parent="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
docker_answers || die "the docker engine does not answer on $DOCKER_HOST"
stack_resolve
t0="$(now_ms)"

redis="$(stack_running_container redis)"
rabbitmq="$(stack_running_container rabbitmq)"
edge_proxy="$(stack_container edge-proxy)"

umask 077
mkdir -p "$parent"
out="$(cd "$parent" && pwd)/$STACK_PROJECT-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir "$out" || die "$out exists already"
mkdir "$out/redis" "$out/rabbitmq"
trap 'warn "backup failed; removing the incomplete $out"; rm -rf "$out"' ERR

# Redis: a snapshot taken now, consistent in itself. LASTSAVE has a resolution of a second: wait until a new second
# began after the last save, so that a save that ends in it is surely ours (or one that started after our call).
log "redis: BGSAVE in $redis"
redis_keys="$(docker_cli exec -i "$redis" sh -eu <<'EOF'
cli() { redis-cli --no-auth-warning --user messaging-backup --pass "$(cat /tmp/messaging-backup.pass)" "$@"; }
before="$(cli LASTSAVE)"
while [ "$(date +%s)" -le "$before" ]; do sleep 0.2; done
cli BGSAVE SCHEDULE >/dev/null
i=0
until [ "$(cli LASTSAVE)" -gt "$before" ]; do
    i=$((i + 1)); [ "$i" -lt 3000 ] || { echo "BGSAVE did not finish within 10 minutes" >&2; exit 1; }
    sleep 0.2
done
cli INFO persistence | tr -d '\r' | grep -qx 'rdb_last_bgsave_status:ok' || { echo "the snapshot failed (INFO persistence)" >&2; exit 1; }
redis-check-rdb /data/dump.rdb >/dev/null || { echo "redis-check-rdb refused /data/dump.rdb" >&2; exit 1; }
cli DBSIZE
EOF
)" || die "the Redis snapshot failed"
docker_cli cp "$redis:/data/dump.rdb" "$out/redis/dump.rdb"

log "rabbitmq: export_definitions in $rabbitmq"
docker_cli exec "$rabbitmq" sh -c 'f=/tmp/messaging-definitions.json; rabbitmqctl -q export_definitions "$f" >/dev/null && cat "$f"; s=$?; rm -f "$f"; exit $s' \
    > "$out/rabbitmq/definitions.json" || die "rabbitmqctl export_definitions failed"
grep -q '"queues"' "$out/rabbitmq/definitions.json" || die "the broker's definitions hold no queues section"

if [ -n "$edge_proxy" ]; then
    log "edge: Caddy's storage from $edge_proxy"
    mkdir "$out/edge"
    docker_cli cp "$edge_proxy:/var/lib/messaging-edge" - > "$out/edge/edge-data.tar"
fi

image_of() { docker_cli inspect -f '{{.Config.Image}}' "$1"; }
{
    echo "format=1"
    echo "project=$STACK_PROJECT"
    echo "created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "redis_keys=$redis_keys"
    echo "redis_image=$(image_of "$redis")"
    echo "rabbitmq_image=$(image_of "$rabbitmq")"
    echo "edge_data=$([ -n "$edge_proxy" ] && echo yes || echo no)"
    echo "source_commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$out/manifest.txt"
(cd "$out" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
trap - ERR
log "backup of $STACK_PROJECT ($redis_keys Redis keys) in $(elapsed_s "$t0")"
echo "$out"
