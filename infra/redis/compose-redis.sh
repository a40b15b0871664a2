#!/bin/sh
# Entry point of Redis in docker-compose.yml, which mounts infra/redis at /opt/messaging/redis and the
# passwords as compose secrets in /run/secrets. Writes the ACL file (acl-users.sh: one user per Messaging
# process, each with its key patterns and commands; the default user off; messaging-health for the
# healthcheck's PING) at every start, so a password changed in its file takes effect, then runs the image's
# entry point with it and the arguments given (compose's command).
# Also a user for infra/backup.sh, messaging-backup, which may only PING, start a snapshot (BGSAVE) and see when the
# last one finished (LASTSAVE, INFO, DBSIZE): its password is made at every start and kept in this container's /tmp,
# so only whoever may `docker exec` here (and could read /data anyway) can use it. No secret file, no key access.
#   REDIS_KEY_PREFIX  the processes' Redis:KeyPrefix (default messaging:)
set -eu
acl=/tmp/messaging-users.acl
backup_pass=/tmp/messaging-backup.pass
umask 077
SECRETS_DIR=/run/secrets REDIS_USER_PREFIX=messaging- sh "$(dirname "$0")/acl-users.sh" > "$acl"
od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$backup_pass"
echo "user messaging-backup on >$(cat "$backup_pass") resetkeys resetchannels -@all +ping +bgsave +lastsave +info +dbsize" >> "$acl"
# The official image starts as root and drops to the redis user: that user must read the file.
if [ "$(id -u)" = 0 ]; then chown redis "$acl" "$backup_pass"; fi
exec docker-entrypoint.sh redis-server "$@" --aclfile "$acl"
