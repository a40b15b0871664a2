#!/usr/bin/env bash
# Makes the passwords docker-compose.yml hands to its containers as compose secrets, one random password per
# file, in SECRETS_DIR (default: secrets/ beside docker-compose.yml, which git ignores):
#   messaging-token                         the API's admin token (Auth:BootstrapTokenFile): MESSAGING_TOKEN when it is
#                                           set in the environment (at least 32 characters), else a random one; read
#                                           it with `cat secrets/messaging-token`
#   rabbitmq-admin-password                 the operator's broker user (RABBITMQ_ADMIN_USER: management UI);
#                                           no process logs in with it
#   rabbitmq-api-password, -worker-, -audit-, -edge-  each process's own broker user (infra/rabbitmq/process-permissions.sh)
#   redis-api-password, -worker-, -audit-, -edge-     each process's own Redis ACL user (infra/redis/acl-users.sh)
# Each container gets only the files it needs: a process its own two, the broker and Redis those of the users
# they make. A file that exists is kept, so running this again changes nothing; --rotate replaces every one
# (or delete a file), and the next `docker compose up -d --force-recreate` (or a restart of the stack) applies
# them: the broker and Redis set their users from the files at every start.
# The folder is its owner's alone (0700). The files inside are readable by all (0644) because compose (without
# swarm) bind-mounts them as they are into containers that run as other users (the API's 1654, rabbitmq, redis);
# the folder's mode keeps other users of this machine out.
#
# Usage: infra/compose-secrets.sh [--rotate]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${SECRETS_DIR:-$repo/secrets}"
rotate=0
case "${1:-}" in
    --rotate) rotate=1 ;;
    "") ;;
    *) echo "usage: $0 [--rotate]" >&2; exit 2 ;;
esac

umask 077
mkdir -p "$dir"
chmod 700 "$dir"
made=()
for name in rabbitmq-admin rabbitmq-api rabbitmq-worker rabbitmq-audit rabbitmq-edge redis-api redis-worker redis-audit redis-edge; do
    file="$dir/$name-password"
    [ "$rotate" = 0 ] && [ -s "$file" ] && continue
    # Hex: no character that a Redis ACL line, a connection string or a RabbitMQ conf file would treat specially.
    new="$(mktemp "$dir/.$name.XXXXXX")"
    printf '%s\n' "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" > "$new"
    chmod 644 "$new"
    mv -f "$new" "$file"
    made+=("$name-password")
done
token="$dir/messaging-token"
if [ "$rotate" = 1 ] || [ ! -s "$token" ]; then
    if [ -n "${MESSAGING_TOKEN:-}" ]; then
        [ "${#MESSAGING_TOKEN}" -ge 32 ] || { echo "MESSAGING_TOKEN must be at least 32 characters" >&2; exit 2; }
        value="$MESSAGING_TOKEN"
    else
        value="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
    fi
    new="$(mktemp "$dir/.messaging-token.XXXXXX")"
    printf '%s\n' "$value" > "$new"
    chmod 644 "$new"
    mv -f "$new" "$token"
    made+=("messaging-token")
fi
if [ "${#made[@]}" -gt 0 ]; then
    echo "compose secrets in $dir: made ${made[*]}"
else
    echo "compose secrets in $dir: all present"
fi
