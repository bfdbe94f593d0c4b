#!/bin/sh
# As the official redis image: without a config file, listen on every interface, protected mode off.
set -eu
if [ "${1:-}" = "redis-server" ]; then shift; exec redis-server --bind '* -::*' --protected-mode no "$@"; fi
exec "$@"
