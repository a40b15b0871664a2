#!/bin/sh
# Entry point of the rabbitmq:3-management stand-in (infra/compose-images.sh).
# RABBITMQ_DEFAULT_USER / _PASS / _VHOST become default_user / default_pass /
# default_vhost (written to a conf.d file, as the official image documents them;
# with a user of your own, guest is not created).
set -e
# RABBITMQ_CONFIG_FILES: the configuration directory (a writable copy when the root is read-only).
conf="${RABBITMQ_CONFIG_FILES:-/etc/rabbitmq/conf.d}/20-default-user.conf"
: > "$conf"
[ -n "${RABBITMQ_DEFAULT_USER:-}" ] && printf 'default_user = %s\n' "$RABBITMQ_DEFAULT_USER" >> "$conf"
[ -n "${RABBITMQ_DEFAULT_PASS:-}" ] && printf 'default_pass = %s\n' "$RABBITMQ_DEFAULT_PASS" >> "$conf"
[ -n "${RABBITMQ_DEFAULT_VHOST:-}" ] && printf 'default_vhost = %s\n' "$RABBITMQ_DEFAULT_VHOST" >> "$conf"
exec "$@"
