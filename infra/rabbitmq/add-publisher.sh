#!/usr/bin/env bash
# Gives a publishing system its own RabbitMQ user that may publish the service and stack commands and nothing else:
# configure nothing, write only the command exchanges, read nothing. Prints the password (once).
#
# Usage: infra/rabbitmq/add-publisher.sh NAME
#   PUBLISHER_PASSWORD  the password to set (default: 192 random bits, printed on stdout)
#   PUBLISHER_VHOST     the virtual host (default /)
# Run it where rabbitmqctl can reach the node (as root on the broker's machine). Running it again for an
# existing user sets the password and the permissions again. Remove a user with:
#   rabbitmqctl delete_user NAME
set -euo pipefail

name="${1:-}"
if ! [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]]; then
    echo "usage: $0 NAME   (NAME: 1-64 letters, digits, . _ -)" >&2
    exit 2
fi
[ "$name" != guest ] || { echo "refusing to change the guest user" >&2; exit 2; }
vhost="${PUBLISHER_VHOST:-/}"
password="${PUBLISHER_PASSWORD:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

# The exchanges MassTransit publishes the commands to (one fanout exchange per message type).
commands='^Messaging\.Contracts:((Create|Stop|Start|Restart|Remove)Service|(Create|Remove)Stack)$'

if rabbitmqctl -q list_users | awk '{print $1}' | grep -qxF "$name"; then
    rabbitmqctl -q change_password "$name" "$password" >/dev/null
else
    rabbitmqctl -q add_user "$name" "$password" >/dev/null
fi
# No tags: the user cannot log in to the management UI or HTTP API.
rabbitmqctl -q set_user_tags "$name" >/dev/null
# configure: nothing (no queues or exchanges of its own), write: the command exchanges, read: nothing.
rabbitmqctl -q set_permissions -p "$vhost" "$name" '^$' "$commands" '^$' >/dev/null

echo "publisher $name on vhost $vhost may publish to $commands"
[ -n "${PUBLISHER_PASSWORD:-}" ] || echo "password: $password"
