#!/bin/sh
# Prints a Redis ACL file: one user per Messaging process, each with only the keys and commands its job
# needs, and the default user switched off. Lines are "user NAME RULES...", the arguments ACL SETUSER takes.
#
# Usage: infra/redis/acl-users.sh > users.acl
#   REDIS_KEY_PREFIX        the processes' Redis:KeyPrefix (default messaging:)
#   REDIS_USER_PREFIX       prefix of the user names (default messaging-)
#   SECRETS_DIR             redis-api-password, redis-worker-password, redis-audit-password, redis-edge-password (default ./secrets)
#   ACL_DEFAULT_USER        the line for the default user (default "user default off"); empty: none
# The key layout is src/Messaging.State/RedisKeys.cs: <prefix>service:<id>, services, names, ports,
# ports:blocked, service-ports, service-usage, host-usage, usage:<owner>, owner:<owner>:services, lock:*, command:<service>:<id>,
# idempotency:*, token:<id>, tokens, tokens:by-hash, audit, audit:service:<id>, audit:seen:<id>,
# webhook:<id>, webhook:<id>:deliveries, webhooks, supervisor:due-restarts, supervisor:event-cursor, hostnames,
# edge-routes, stack:<id>, stacks, templates, pool:* (warm pools: members, idle lists, claims, stats, summary),
# capacity:report (the worker's caps, port range and host budget);
# channel <prefix>audit:appended.
set -eu
p="${REDIS_KEY_PREFIX:-messaging:}"
u="${REDIS_USER_PREFIX:-messaging-}"
secrets="${SECRETS_DIR:-./secrets}"
password() { f="$secrets/redis-$1-password"; [ -s "$f" ] || { echo "missing password file $f" >&2; exit 2; }; head -n 1 "$f"; }

# What every process's client needs: StackExchange.Redis's handshake and health probes, scripts, and
# plain reads and writes, MULTI/EXEC; never keyspace-wide or administrative commands (FLUSHALL, KEYS, CONFIG, ...).
common="on resetkeys resetchannels -@all +@connection +@read +@write +@scripting +@transaction +@pubsub -@dangerous +info &__Booksleeve_MasterChanged"

# The worker: service records, reservations (ports and extra hostnames), usage, locks, command outcomes and the
# supervisor's schedule and event cursor, the warm pools (pool:*), its capacity report; reads tokens (quotas).
worker="~${p}capacity:report ~${p}service:* ~${p}stack:* ~${p}stacks ~${p}build:* ~${p}builds ~${p}services ~${p}names ~${p}ports ~${p}ports:blocked ~${p}service-ports ~${p}service-usage ~${p}host-usage ~${p}usage:* ~${p}owner:* ~${p}lock:* ~${p}command:* ~${p}supervisor:* ~${p}hostnames ~${p}pool:* %R~${p}token:* %R~${p}tokens %R~${p}tokens:by-hash"
# The API: tokens, idempotency keys, pending service records and the owners' lists, webhook subscriptions;
# reads usage (the 429 pre-check), the hostnames taken (the 409 pre-check), the edge's certificate states and the
# audit trail and the warm pools' summary (GET /api/v1/pools), and listens for its appends; reads the worker's capacity
# report, the ports taken and the host usage (GET /api/v1/images, /capacity).
api="%R~${p}capacity:report %R~${p}ports %R~${p}ports:blocked %R~${p}host-usage ~${p}service:* ~${p}stack:* ~${p}stacks ~${p}build:* ~${p}builds ~${p}templates ~${p}services ~${p}names ~${p}owner:* ~${p}idempotency:* ~${p}token:* ~${p}tokens ~${p}tokens:by-hash ~${p}webhook:* ~${p}webhooks %R~${p}usage:* %R~${p}hostnames %R~${p}edge-routes %R~${p}pool:summary %R~${p}audit %R~${p}audit:* &${p}audit:appended"
# The audit host: appends to the trail and the delivery outcomes, reads service owners and subscriptions.
# It cannot write a service record, a reservation or a token.
audit="%R~${p}service:* ~${p}audit ~${p}audit:* %R~${p}webhook:* ~${p}webhook:*:deliveries %R~${p}webhooks &${p}audit:appended"

# The edge host: reads the service records (every id, then each record) and writes the certificate states. It cannot
# write a record, a reservation or a token.
edge="%R~${p}service:* %R~${p}services ~${p}edge-routes"

[ -z "${ACL_DEFAULT_USER-user default off}" ] || echo "${ACL_DEFAULT_USER-user default off}"
echo "user ${u}worker $common >$(password worker) $worker"
echo "user ${u}api $common >$(password api) $api"
echo "user ${u}audit $common >$(password audit) $audit"
echo "user ${u}edge $common >$(password edge) $edge"
# For container healthchecks: PING and nothing else, no password needed.
echo "user ${u}health on nopass resetkeys resetchannels -@all +ping"
