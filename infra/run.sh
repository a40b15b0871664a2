#!/usr/bin/env bash
# The run command: starts the local services (dockerd, RabbitMQ, Redis, pebble, and Caddy as a process
# with only its admin socket) when needed, builds the solution, and runs the worker, the audit host, the
# edge host and the API from source until Ctrl+C.
#
#   export MESSAGING_TOKEN=$(openssl rand -hex 24)   # the admin token you will send
#   bash infra/run.sh                                # API on http://localhost:8080
#
# Listen elsewhere with Urls=http://0.0.0.0:9000 bash infra/run.sh.
# The edge: every running service at https://<name>.$EDGE_BASE_DOMAIN:$EDGE_HTTPS_PORT, the API at
# https://api.$EDGE_BASE_DOMAIN; certificates from Caddy's internal CA unless EDGE_TLS_MODE=acme
# (then EDGE_ACME_DIRECTORY, Let's Encrypt by default). Names under .localhost resolve to 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${#MESSAGING_TOKEN}" -lt 32 ]; then
    echo "Set MESSAGING_TOKEN to an admin token of at least 32 characters, e.g.:" >&2
    echo '  export MESSAGING_TOKEN=$(openssl rand -hex 24)' >&2
    exit 2
fi

bash infra/services-up.sh
dotnet build Messaging.sln -c Release --nologo -v quiet

# The token reaches the API only through its environment, where it is hashed at start-up.
export Auth__BootstrapToken="$MESSAGING_TOKEN"

# The GC's gen0 budget the images set (Dockerfile.api, Dockerfile.worker): about 15 MB less resident memory.
export DOTNET_GCgen0size=0x600000 DOTNET_GCgen0MaxBudget=0x600000

# The edge (docs/ARCHITECTURE.md "Edge"): the API and the worker judge extra hostnames with the same settings.
export Edge__BaseDomain="${EDGE_BASE_DOMAIN:-services.localhost}"
export Edge__HttpsPort="${EDGE_HTTPS_PORT:-443}" Edge__HttpPort="${EDGE_HTTP_PORT:-80}"
export Edge__Tls__Mode="${EDGE_TLS_MODE:-internal}"
[ -z "${EDGE_ACME_DIRECTORY:-}" ] || export Edge__Tls__AcmeDirectory="$EDGE_ACME_DIRECTORY"
export Edge__AdminEndpoint="unix:${MESSAGING_INFRA_STATE_DIR:-/tmp/messaging-infra}/caddy/admin.sock"
export Edge__StorageDirectory="${MESSAGING_INFRA_STATE_DIR:-/tmp/messaging-infra}/caddy/data"
export Edge__ApiUpstream="127.0.0.1:8080"

# Each process runs from its output folder so that it reads its own appsettings.json. One that exits with 75 (its bus
# stalled while the broker was up: docs/FAULTS.md) is started again, as compose's restart policy does.
run_host() {
    local child status
    trap 'kill $child 2>/dev/null; wait $child; exit 0' TERM INT
    while :; do
        (cd "src/$1/bin/Release/net10.0" && exec dotnet "$1.dll") &
        child=$!
        status=0
        wait "$child" || status=$?
        [ "$status" -eq 75 ] || exit "$status"
        echo "[run] $1 exited with 75 (stalled bus): starting it again"
    done
}
run_host Messaging.Worker &
worker=$!
run_host Messaging.Audit &
audit=$!
run_host Messaging.Edge &
edge=$!
run_host Messaging.Api &
api=$!
stop_all() { kill $api $worker $audit $edge 2>/dev/null; wait; }
trap stop_all EXIT
trap 'exit 0' INT TERM
echo "[run] worker pid $worker, audit pid $audit, edge pid $edge (https://<service>.$Edge__BaseDomain:$Edge__HttpsPort), API pid $api on http://localhost:8080 (Ctrl+C stops them)"
wait -n
