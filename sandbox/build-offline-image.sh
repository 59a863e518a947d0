#!/usr/bin/env bash
# Build the default sandbox image with no registry: debootstrap Debian into a
# folder, then `docker import` it. For offline machines and for CI (Docker Hub
# is not reachable there). Usage: sandbox/build-offline-image.sh [IMAGE]
#
# AIIDE_DEBIAN_MIRROR overrides the mirror (default: the first Debian URI in
# /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list).
set -euo pipefail
image="${1:-aiide-sandbox-python:latest}"
# A digest of this script, kept as a label: scripts/ci-docker.sh rebuilds an image made by
# another version of it.
recipe() { sha256sum "$(dirname "$0")/build-offline-image.sh" | cut -c1-16; }
suite="${AIIDE_DEBIAN_SUITE:-bookworm}"
packages="python3,python3-venv,python3-pytest,python-is-python3"  # `python` too, as users type it

mirror="${AIIDE_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(grep -hoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)"
fi
if [ -z "$mirror" ]; then
  mirror="$(grep -hoE '^deb +https?://[^ ]+/debian/? ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n1 || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
rootfs="$(mktemp -d "${TMPDIR:-/tmp}/aiide-rootfs.XXXXXX")"
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap $suite from $mirror (packages: $packages)"
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
# Smaller and reproducible-ish: no package caches, no apt lists, an empty work folder.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
mkdir -p "$rootfs/work"
chmod 1777 "$rootfs/work"
tar -C "$rootfs" -c . | docker import \
  --change 'WORKDIR /work' \
  --change 'USER 65534:65534' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME=/tmp PYTHONDONTWRITEBYTECODE=1' \
  --change 'LABEL org.opencontainers.image.title=aiide-sandbox-python' \
  --change "LABEL io.aiide.recipe=$(recipe)" \
  --change 'CMD ["python3"]' \
  - "$image" >/dev/null
echo "built $image"
