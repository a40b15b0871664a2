#!/usr/bin/env bash
# The run command: starts the local services (dockerd, RabbitMQ, Redis) when needed, builds the
# solution, and runs the worker, the audit host and the API from source until Ctrl+C.
#
#   export MESSAGING_TOKEN=$(openssl rand -hex 24)   # the admin token you will send
#   bash infra/run.sh                                # API on http://localhost:8080
#
# Listen elsewhere with Urls=http://0.0.0.0:9000 bash infra/run.sh.
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

# Each process runs from its output folder so that it reads its own appsettings.json.
(cd src/Messaging.Worker/bin/Release/net10.0 && exec dotnet Messaging.Worker.dll) &
worker=$!
(cd src/Messaging.Audit/bin/Release/net10.0 && exec dotnet Messaging.Audit.dll) &
audit=$!
(cd src/Messaging.Api/bin/Release/net10.0 && exec dotnet Messaging.Api.dll) &
api=$!
trap 'kill $api $worker $audit 2>/dev/null; wait' EXIT INT TERM
echo "[run] worker pid $worker, audit pid $audit, API pid $api on http://localhost:8080 (Ctrl+C stops them)"
wait -n
