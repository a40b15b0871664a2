#!/usr/bin/env bash
# Closes the one path by which services on Docker Swarm could reach each other: a node's published ports.
#
# On Swarm each service's port is published in host mode, bound on every address of the node its task runs on (Engine
# API 1.41 has no host address for a service's port). A task's own traffic leaves through docker_gwbridge, so without
# these rules a task reaches any service's published port at its own node's addresses (through the engine's userland
# proxy: the INPUT chain) and at every other node's address (forwarded: the FORWARD chain, whose DOCKER-USER part is
# ours to fill). The rules drop new TCP connections coming from docker_gwbridge to the worker's port range, both ways.
# The edge and clients outside the tasks' bridge are not affected. Run on every swarm node, as root, after its dockerd
# has started (dockerd creates DOCKER-USER and jumps to it); the worker's start-up check (Scheduler:Swarm:
# RequirePortIsolation) refuses a swarm where a task can still open the range. The rules do not survive a reboot:
# persist them with the node's firewall (iptables-persistent, or a unit that runs this script after docker.service).
#
# Usage: infra/port-isolation.sh install|remove|status MIN:MAX
#   install  adds the two rules (once; running it again changes nothing)
#   remove   removes every rule this script added, whatever the range
#   status   prints this script's rules; exit 1 when there are none
# MIN:MAX is the worker's Ports:Min and Ports:Max (default 11000:20000). In a node's own network namespace (a second
# engine of infra/second-engine.sh): `nsenter --net=/var/run/netns/NAME infra/port-isolation.sh install MIN:MAX`.
set -euo pipefail

action="${1:-status}"
range="${2:-11000:20000}"
tag="messaging-port-isolation"
[[ "$range" =~ ^[0-9]{1,5}:[0-9]{1,5}$ ]] || { echo "port-isolation: MIN:MAX expected, got '$range'" >&2; exit 2; }

# The rules, without the -I/-D and chain: a new connection from a task (docker_gwbridge) to the range. Only NEW: the
# answers of a task to a client of its own published port also leave through docker_gwbridge, and in DOCKER-USER they
# belong to a connection whose original port is in the range (a node forwarding the edge's request to its task). In
# DOCKER-USER the port is the connection's original one, so a port already rewritten to the task's own (the engine's
# hairpin NAT) still matches.
input_rule=(-i docker_gwbridge -p tcp --dport "$range" -m conntrack --ctstate NEW -m comment --comment "$tag" -j DROP)
forward_rule=(-i docker_gwbridge -p tcp -m conntrack --ctstate NEW --ctorigdstport "$range" -m comment --comment "$tag" -j DROP)

ours() { iptables -S "$1" 2>/dev/null | grep -F -- "--comment $tag" || true; }

case "$action" in
    install)
        iptables -S DOCKER-USER >/dev/null 2>&1 \
            || { echo "port-isolation: no DOCKER-USER chain: start dockerd first (with iptables on)" >&2; exit 1; }
        iptables -C INPUT "${input_rule[@]}" 2>/dev/null || iptables -I INPUT "${input_rule[@]}"
        iptables -C DOCKER-USER "${forward_rule[@]}" 2>/dev/null || iptables -I DOCKER-USER "${forward_rule[@]}"
        echo "port-isolation: tasks cannot open ports $range on this node or through it"
        ;;
    remove)
        for chain in INPUT DOCKER-USER; do
            ours "$chain" | while read -r rule; do
                # `-S` prints "-A CHAIN ..."; the same words after -D delete that rule.
                eval "iptables -D ${rule#-A }"
            done
        done
        echo "port-isolation: removed"
        ;;
    status)
        found="$(ours INPUT)$(ours DOCKER-USER)"
        [ -n "$found" ] || { echo "port-isolation: no rules on this node"; exit 1; }
        ours INPUT
        ours DOCKER-USER
        ;;
    *)
        echo "usage: $0 install|remove|status MIN:MAX" >&2
        exit 2
        ;;
esac
