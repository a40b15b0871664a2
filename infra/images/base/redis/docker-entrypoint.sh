#!/bin/sh
# Entry point of the redis:7 stand-in (infra/compose-images.sh), modelled on the
# official image's: a first argument that is an option or a .conf file means
# "redis-server ...". The official image's redis-server is built with protected
# mode off; Debian's is not, so it is switched off here on the command line.
set -e
case "${1:-}" in
    -*|*.conf) set -- redis-server "$@" ;;
esac
if [ "${1:-}" = redis-server ]; then
    case "${2:-}" in -v|--version|-h|--help|--test-memory|--check-system) exec "$@" ;; esac
    shift
    if [ -n "${1:-}" ] && [ "${1%.conf}" != "$1" ]; then
        conf="$1"; shift
        set -- redis-server "$conf" --protected-mode no "$@"
    else
        set -- redis-server --protected-mode no "$@"
    fi
fi
exec "$@"
