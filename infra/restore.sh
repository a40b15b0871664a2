#!/usr/bin/env bash
# Restores a backup of infra/backup.sh into the compose stack (docs/OPERATIONS.md, "Backup and restore"). What the
# stack holds now is replaced: run it on a stack whose data is lost, or one you mean to roll back.
#   1. checks the backup (SHA256SUMS);
#   2. `down` (no -v; each container gets its stop_grace_period): every container of the stack stops and goes, so
#      that no API, worker, audit host or edge host writes meanwhile; the service containers (the worker's, not
#      compose's) are left running;
#   3. deletes the volumes redis-data and rabbitmq-data (and edge-data when the backup has it), then `up --no-start`
#      makes them again, empty;
#   4. fills them, each in a throw-away container of the stack's own image without a network:
#      redis-data   the snapshot, turned into the append-only files Redis starts from (appendonly yes);
#      rabbitmq-data the definitions, which the broker's entry point (infra/rabbitmq/compose-broker.sh) imports at
#                   its first start, before it sets the processes' users from the current secret files;
#      edge-data    Caddy's storage, unpacked;
#   5. `up -d` and waits until every service is healthy. The worker's reconciler then makes the records agree with
#      the engine (containers made or removed since the backup: docs/OPERATIONS.md).
# The secrets folder and .env must be there (compose-secrets.sh makes missing passwords; the processes' users are
# set from them at every start, so passwords changed since the backup are the ones that count).
#
# Usage: infra/restore.sh [-p PROJECT] [--env-file FILE] --yes BACKUP_FOLDER
#   --yes           required: the stack's current Redis data and broker state are deleted
#   -p, --env-file  which stack (infra/compose/stack-lib.sh), as for infra/backup.sh
# Environment: RESTORE_TIMEOUT (seconds to wait for healthy services, default 300).
set -euo pipefail
# shellcheck source=compose/compose-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/compose/compose-lib.sh"
# shellcheck source=compose/stack-lib.sh
. "$COMPOSE_DIR/stack-lib.sh"

backup="" yes=0
while [ $# -gt 0 ]; do
    if [ $# -ge 2 ] && stack_option "$1" "$2"; then shift 2; continue; fi
    case "$1" in
        --yes) yes=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [ -z "$backup" ] || die "one backup folder only"; backup="$1"; shift ;;
    esac
done
[ -n "$backup" ] || die "usage: $0 [-p PROJECT] [--env-file FILE] --yes BACKUP_FOLDER"
backup="$(cd "$backup" && pwd)" || die "no folder $backup"
[ -f "$backup/manifest.txt" ] && [ -f "$backup/SHA256SUMS" ] || die "$backup is not a backup of infra/backup.sh (no manifest.txt or SHA256SUMS)"
(cd "$backup" && sha256sum --quiet -c SHA256SUMS) || die "$backup is damaged: its files do not match SHA256SUMS"
grep -qx 'format=1' "$backup/manifest.txt" || die "$backup has a backup format this script does not know"
docker_answers || die "the docker engine does not answer on $DOCKER_HOST"
stack_resolve
if [ "$yes" != 1 ]; then
    echo "This deletes the Redis data, the broker's state and Caddy's storage of project $STACK_PROJECT and puts back"
    echo "those of $backup ($(sed -n 's/^created_at=//p' "$backup/manifest.txt")). Run again with --yes."
    exit 2
fi
t0="$(now_ms)"
edge_data=0
[ -f "$backup/edge/edge-data.tar" ] && edge_data=1

log "stopping and removing the stack's containers (project $STACK_PROJECT)"
stack_compose down --remove-orphans >/dev/null
volumes=(redis-data rabbitmq-data)
[ "$edge_data" = 0 ] || volumes+=(edge-data)
for volume in "${volumes[@]}"; do
    name="$(stack_volume "$volume")"
    [ -z "$name" ] || docker_cli volume rm "$name" >/dev/null
done

log "making the containers and empty volumes (up --no-start)"
stack_compose up --no-start >/dev/null
image_of_service() {
    local id
    id="$(stack_container "$1")"
    [ -n "$id" ] || die "up --no-start made no container for $1"
    docker_cli inspect -f '{{.Config.Image}}' "$id"
}
volume_of() {
    local name
    name="$(stack_volume "$1")"
    [ -n "$name" ] || die "up --no-start made no volume $1"
    printf '%s\n' "$name"
}
# A throw-away container: no network, the stack's image, the volume at its usual place; the backup's file comes on
# standard input (the backup folder is its owner's alone, which the image's user is not).
throwaway() { # image volume mountpoint user script < file
    docker_cli run --rm -i --network none --user "$4" --entrypoint sh -v "$2:$3" "$1" -eu -c "$5"
}

log "redis: the snapshot into $(volume_of redis-data), as append-only files"
# Started once without AOF, Redis loads dump.rdb; switching AOF on writes the append-only files from that data
# (a rewrite); the real server (appendonly yes) then starts from them, as it would after any restart.
throwaway "$(image_of_service redis)" "$(volume_of redis-data)" /data redis '
cd /data
rm -rf appendonlydir appendonly.aof dump.rdb
cat > dump.rdb
redis-server --port 0 --unixsocket /tmp/restore.sock --dir /data --appendonly no --save "" --daemonize yes --logfile /tmp/restore.log
cli() { redis-cli -s /tmp/restore.sock "$@"; }
i=0; until cli ping 2>/dev/null | grep -q PONG; do i=$((i + 1)); [ "$i" -lt 600 ] || { cat /tmp/restore.log; exit 1; }; sleep 0.1; done
keys="$(cli DBSIZE)"
cli CONFIG SET appendonly yes >/dev/null
i=0
until cli INFO persistence | tr -d "\r" | grep -qx "aof_rewrite_in_progress:0" \
      && cli INFO persistence | tr -d "\r" | grep -qx "aof_rewrite_scheduled:0" \
      && cli INFO persistence | tr -d "\r" | grep -qx "aof_enabled:1" \
      && cli INFO persistence | tr -d "\r" | grep -qx "aof_last_bgrewrite_status:ok"; do
    i=$((i + 1)); [ "$i" -lt 3000 ] || { cat /tmp/restore.log; exit 1; }; sleep 0.1
done
cli SHUTDOWN >/dev/null 2>&1 || true
i=0; while [ -S /tmp/restore.sock ] && [ "$i" -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
ls appendonlydir/*.manifest >/dev/null
echo "$keys keys"
' < "$backup/redis/dump.rdb" | sed 's/^/[restore] redis: /'

log "rabbitmq: the definitions into $(volume_of rabbitmq-data), imported at the broker's first start"
throwaway "$(image_of_service rabbitmq)" "$(volume_of rabbitmq-data)" /var/lib/rabbitmq rabbitmq '
cat > /var/lib/rabbitmq/messaging-restore-definitions.json' < "$backup/rabbitmq/definitions.json"

if [ "$edge_data" = 1 ]; then
    log "edge: Caddy's storage into $(volume_of edge-data)"
    # As root, so that the files keep their owner (the edge image's uid 1654) from the archive.
    throwaway "$(image_of_service edge-proxy)" "$(volume_of edge-data)" /var/lib/messaging-edge 0 '
find /var/lib/messaging-edge -mindepth 1 -delete
tar -x -C /var/lib -f -' < "$backup/edge/edge-data.tar"
fi

log "starting the stack"
stack_compose up -d >/dev/null
stack_wait_healthy "${RESTORE_TIMEOUT:-300}" || die "the stack did not become healthy (docker-compose ps; logs of rabbitmq and redis)"
log "restored $backup into $STACK_PROJECT in $(elapsed_s "$t0")"
