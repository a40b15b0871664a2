#!/usr/bin/env bash
# Creation latency and throughput with Scheduler:Mode=swarm on a one-node swarm, against the containers path, in one run
# (issue 18; docs/BENCHMARKS.md, "Swarm"). Runs infra/bench.sh's latency and throughput scenarios twice (15 throughput
# creations, one round, so that their 0.1-CPU reservations fit one node): first as shipped (containers), then with
# the worker in swarm mode on a swarm this script makes on the engine (`docker swarm init`, advertising 127.0.0.1) and
# leaves at the end whatever happens, so the engine ends as it was found (inactive), with the port rules the worker
# requires of every node (infra/port-isolation.sh, for the bench's ports) installed meanwhile and removed after. Each
# run also times the same number of raw Engine API (and, for throughput, CLI) creations as its baselines.
#
# Usage: bash infra/bench-swarm.sh [--creations N] [--throughput N]   (default 15 each: the warm-up's 2 and 15 fit
#        one node at 0.1 CPU)
# Results: bench/results/containers-creation.{json,md} and bench/results/swarm-creation.{json,md}.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
. infra/lib.sh

scenarios=(latency throughput --creations 15 --throughput 15 --rounds 1 "$@")
bash infra/bench.sh "${scenarios[@]}" --out bench/results/containers-creation.json || die "the containers run failed"

ports=12000:14999 # the bench's port range (infra/bench.sh)
leave() {
    docker_cli swarm leave --force >/dev/null 2>&1 || true
    bash infra/port-isolation.sh remove "$ports" >/dev/null 2>&1 || true
}
leave # what a crashed run left
docker_cli swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null || die "docker swarm init failed"
trap leave EXIT
bash infra/port-isolation.sh install "$ports" || die "infra/port-isolation.sh install $ports failed"
# The test engine does not set no-new-privileges daemon-wide (the worker's check would refuse it; README).
bash infra/bench.sh "${scenarios[@]}" --out bench/results/swarm-creation.json \
    --env worker:Scheduler__Mode=swarm --env worker:Scheduler__Swarm__RequireNoNewPrivileges=false \
    --env worker:Docker__StopGracePeriod=00:00:02
