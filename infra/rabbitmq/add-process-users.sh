#!/usr/bin/env bash
# Creates (or updates) the broker users of the four Messaging processes, each with only the rights its job
# needs (process-permissions.sh): ${PREFIX}api, ${PREFIX}worker, ${PREFIX}audit, ${PREFIX}edge.
#
# Usage: infra/rabbitmq/add-process-users.sh
#   MESSAGING_VHOST        the virtual host (default /); created when missing
#   MESSAGING_USER_PREFIX  prefix of the user names (default messaging-)
#   SECRETS_DIR            where the passwords are read from: rabbitmq-api-password, rabbitmq-worker-password,
#                          rabbitmq-audit-password, rabbitmq-edge-password (one line each; default ./secrets)
# Run it where rabbitmqctl reaches the node. Set the processes' RabbitMq:User / RabbitMq:Pass to match, and
# the worker's Identity:ApiBrokerUser to ${PREFIX}api.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=process-permissions.sh
. "$here/process-permissions.sh"

vhost="${MESSAGING_VHOST:-/}"
prefix="${MESSAGING_USER_PREFIX:-messaging-}"
secrets="${SECRETS_DIR:-./secrets}"

# Each rabbitmqctl call starts an Erlang VM (seconds): as few calls as possible.
rabbitmqctl -q add_vhost "$vhost" >/dev/null 2>&1 || true # already there
for role in api worker audit edge; do
    user="$prefix$role"
    file="$secrets/rabbitmq-$role-password"
    [ -s "$file" ] || { echo "missing password file $file" >&2; exit 2; }
    password="$(head -n 1 "$file")"
    rabbitmqctl -q add_user "$user" "$password" >/dev/null 2>&1 || rabbitmqctl -q change_password "$user" "$password" >/dev/null
    configure="${role}_configure" write="${role}_write" read="${role}_read" tags="${role}_tags"
    # shellcheck disable=SC2086 # tags: none or one word
    rabbitmqctl -q set_user_tags "$user" ${!tags} >/dev/null
    rabbitmqctl -q set_permissions -p "$vhost" "$user" "${!configure}" "${!write}" "${!read}" >/dev/null
    echo "$user on $vhost: configure ${!configure} write ${!write} read ${!read}"
done
