#!/bin/sh
# Entry point of Redis in docker-compose.yml, which mounts infra/redis at /opt/messaging/redis and the
# passwords as compose secrets in /run/secrets. Writes the ACL file (acl-users.sh: one user per Messaging
# process, each with its key patterns and commands; the default user off; messaging-health for the
# healthcheck's PING) at every start, so a password changed in its file takes effect, then runs the image's
# entry point with it and the arguments given (compose's command).
#   REDIS_KEY_PREFIX  the processes' Redis:KeyPrefix (default messaging:)
set -eu
acl=/tmp/messaging-users.acl
umask 077
SECRETS_DIR=/run/secrets REDIS_USER_PREFIX=messaging- sh "$(dirname "$0")/acl-users.sh" > "$acl"
# The official image starts as root and drops to the redis user: that user must read the file.
if [ "$(id -u)" = 0 ]; then chown redis "$acl"; fi
exec docker-entrypoint.sh redis-server "$@" --aclfile "$acl"
