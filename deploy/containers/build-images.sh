#!/usr/bin/env bash
# Build every image docker-compose.yml names, from package registries alone (no image registry):
#
#   1. localhost/debian:bookworm   debootstrap --variant=minbase from Debian's mirror, `podman import`
#   2. python:3.11-slim, postgres:15, redis:7, rabbitmq:3.13-management
#                                  from Debian's packages on that base (deploy/containers/*.Containerfile),
#                                  tagged with the names compose uses, so the file runs unchanged
#   3. aftersales-platform:dev     the platform's one image, from the Dockerfile (pip from PyPI)
#
# An image that exists is kept (the cache between runs); --rebuild-base rebuilds 1 and 2, the
# platform image is always built (podman's layer cache makes an unchanged one take seconds).
# Needs root, podman, runc and debootstrap (apt-get install podman runc debootstrap).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=podman-env
source "$here/podman-env"

rebuild_base=false
[ "${1:-}" = "--rebuild-base" ] && rebuild_base=true

has() { podman image exists "$1" && ! $rebuild_base; }
stamp() { date +%s; }

mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

t0=$(stamp)
if ! has localhost/debian:bookworm; then
  rootfs="$(mktemp -d /var/tmp/debian-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  echo "== debootstrap bookworm from $mirror"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >/dev/null
  # machines behind a TLS-inspecting proxy: their extra CAs, so pip and apt inside reach the registries
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import --quiet - localhost/debian:bookworm >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi
echo "== base system: $(( $(stamp) - t0 ))s"

build_base() {  # containerfile, tag: a base image from Debian's packages, unless it exists
  local file="$1" tag="$2" t
  if has "$tag"; then return; fi
  t=$(stamp)
  podman build --pull=never -f "$here/$file" -t "$tag" "$here" >/dev/null
  echo "== $tag: $(( $(stamp) - t ))s"
}
build_base python.Containerfile docker.io/library/python:3.11-slim

# the servers' images build beside the platform's (each is mostly waiting for a download)
logs="$(mktemp -d)"
pids=()
for spec in postgres.Containerfile:docker.io/library/postgres:15 redis.Containerfile:docker.io/library/redis:7 \
            rabbitmq.Containerfile:docker.io/library/rabbitmq:3.13-management; do
  build_base "${spec%%:*}" "${spec#*:}" > "$logs/${spec%%.*}.log" 2>&1 &
  pids+=($!)
done

t=$(stamp)
podman build --pull=never -f "$root/Dockerfile" -t localhost/aftersales-platform:dev "$root" >/dev/null
echo "== aftersales-platform:dev: $(( $(stamp) - t ))s"
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
cat "$logs"/*.log
rm -rf "$logs"
[ "$failed" = 0 ] || { echo "a server image did not build (see above)" >&2; exit 1; }
# earlier builds of the platform image, now untagged (their layers the new one shares stay)
podman image prune -f >/dev/null
echo "== all images: $(( $(stamp) - t0 ))s"
