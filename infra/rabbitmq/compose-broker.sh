#!/usr/bin/env bash
# Entry point of the broker in docker-compose.yml, which mounts infra/rabbitmq at /opt/messaging/rabbitmq and the
# passwords as compose secrets in /run/secrets. Starts RabbitMQ through the image's own entry point, then, on
# every start (so a password changed in its file takes effect):
#   - the operator's administrator RABBITMQ_ADMIN_USER (management UI), password rabbitmq-admin-password;
#   - guest deleted: no process and nobody else logs in with a known password;
#   - one user per Messaging process with only the rights its job needs (add-process-users.sh,
#     process-permissions.sh): messaging-api, messaging-worker, messaging-audit, messaging-edge.
# Only then does it write /tmp/messaging-users-ready, which the healthcheck requires: the processes, which start
# once the broker is healthy, never try to log in before their users exist.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secrets=/run/secrets
ready=/tmp/messaging-users-ready
admin="${RABBITMQ_ADMIN_USER:-messaging-admin}"
rm -f "$ready"

# A read-only root (docker-compose.yml): the configuration directory is a copy of the image's conf.d in a tmpfs
# (RABBITMQ_CONFIG_FILES), so are the log files (RABBITMQ_LOG_BASE), and the enabled plugins' list lives in the data
# volume, seeded from the image's.
confd="${RABBITMQ_CONFIG_FILES:-/etc/rabbitmq/conf.d}"
if [ "$confd" != /etc/rabbitmq/conf.d ]; then
    mkdir -p "$confd"
    cp /etc/rabbitmq/conf.d/*.conf "$confd/" 2>/dev/null || true
fi
[ -z "${RABBITMQ_LOG_BASE:-}" ] || mkdir -p "$RABBITMQ_LOG_BASE"
if [ -n "${RABBITMQ_ENABLED_PLUGINS_FILE:-}" ] && [ ! -f "$RABBITMQ_ENABLED_PLUGINS_FILE" ] && [ -f /etc/rabbitmq/enabled_plugins ]; then
    cp /etc/rabbitmq/enabled_plugins "$RABBITMQ_ENABLED_PLUGINS_FILE"
fi
[ -s "$secrets/rabbitmq-admin-password" ] || { echo "ERROR: missing secret rabbitmq-admin-password (run infra/compose-secrets.sh)" >&2; exit 2; }

# A node starting on an empty volume makes this user instead of guest/guest (a later conf.d file wins over the
# image's), so no well-known password exists even for the seconds before the users below are set.
(umask 077 && printf 'default_user = %s\ndefault_pass = %s\n' "$admin" "$(head -n 1 "$secrets/rabbitmq-admin-password")" \
    > "$confd/30-messaging-admin.conf") 2>/dev/null \
    || echo "WARNING: $confd is not writable: a new node makes guest until it is deleted below" >&2

# The memory alarm (publishers blocked at vm_memory_high_watermark, 40%) is relative to the memory the node sees,
# which is the host's, not the container's limit (RABBITMQ_MEMORY_LIMIT): without this the kernel would kill the
# broker at its limit long before the alarm. Skipped when the container has no limit.
limit="$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo max)"
case "$limit" in
    ''|max|*[!0-9]*) ;;
    *) if [ "${#limit}" -lt 13 ]; then # below ~1 TB: a real limit (cgroup v1 says "unlimited" with a huge number)
           (printf 'total_memory_available_override_value = %s\n' "$limit" > "$confd/31-messaging-memory.conf") 2>/dev/null \
               || echo "WARNING: $confd is not writable: the memory alarm counts the host's memory" >&2
       fi ;;
esac

docker-entrypoint.sh rabbitmq-server &
server=$!
# Compose stops the container with SIGTERM to this script (PID 1): pass it on, then wait for the server to exit.
trap 'kill -TERM "$server" 2>/dev/null' TERM INT

until rabbitmqctl -q await_startup >/dev/null 2>&1; do
    kill -0 "$server" 2>/dev/null || { wait "$server"; exit $?; }
    sleep 2
done

# infra/restore.sh leaves the broker's definitions of a backup (users, vhosts, permissions, policies, exchanges,
# queues, bindings) in the fresh volume: imported once, before the users below are set from the current secret files
# (which so win over the password hashes in the backup). A failed import leaves the broker unhealthy and the file in place.
restore="/var/lib/rabbitmq/messaging-restore-definitions.json"
if [ -f "$restore" ]; then
    if rabbitmqctl -q import_definitions "$restore"; then
        mv -f "$restore" "$restore.imported"
        echo "broker definitions restored from the backup ($restore.imported)"
    else
        echo "ERROR: could not import the backup's definitions ($restore); the broker stays unhealthy" >&2
        wait "$server"
        exit $?
    fi
fi

provision() {
    set -e
    local password
    password="$(head -n 1 "$secrets/rabbitmq-admin-password")"
    rabbitmqctl -q add_user "$admin" "$password" >/dev/null 2>&1 || rabbitmqctl -q change_password "$admin" "$password" >/dev/null
    rabbitmqctl -q set_user_tags "$admin" administrator >/dev/null
    rabbitmqctl -q set_permissions -p / "$admin" '.*' '.*' '.*' >/dev/null
    [ "$admin" = guest ] || rabbitmqctl -q delete_user guest >/dev/null 2>&1 || true # absent already
    SECRETS_DIR="$secrets" MESSAGING_VHOST=/ MESSAGING_USER_PREFIX=messaging- bash "$here/add-process-users.sh"
}
if (provision); then
    touch "$ready"
    echo "broker users ready: $admin (administrator), messaging-api, messaging-worker, messaging-audit, messaging-edge"
else
    # The healthcheck never passes: the processes do not start on a broker without their users.
    echo "ERROR: the broker users could not be set up (see above); the broker stays unhealthy" >&2
fi

wait "$server"
status=$?
# wait returns early when the trap ran: then wait for the server's own exit.
if kill -0 "$server" 2>/dev/null; then
    wait "$server"
    status=$?
fi
exit "$status"
