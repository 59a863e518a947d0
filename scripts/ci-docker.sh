#!/usr/bin/env bash
# Make a Docker engine answer and the sandbox image exist, for the sandbox tests.
# Idempotent: does nothing that is already done. With no engine it installs
# Debian's docker.io (and debootstrap, bubblewrap), starts dockerd in the
# background (no systemd: log in $AIIDE_DOCKERD_LOG, PID in $AIIDE_DOCKERD_PID),
# waits for `docker info`, then builds the offline image if it is missing or out of date.
# `scripts/ci-docker.sh stop` stops a dockerd that this script started.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
image="${AIIDE_SANDBOX__IMAGE:-aiide-sandbox-python:latest}"  # the image aiide runs
log="${AIIDE_DOCKERD_LOG:-/tmp/aiide-dockerd.log}"
pidfile="${AIIDE_DOCKERD_PID:-/tmp/aiide-dockerd.pid}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

if [ "${1:-}" = "stop" ]; then
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    $sudo kill "$(cat "$pidfile")" && echo "stopped dockerd $(cat "$pidfile")"
  fi
  rm -f "$pidfile"
  exit 0
fi

engine_up() { timeout 10 docker info >/dev/null 2>&1; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "install ${missing[*]} (no apt-get here)" >&2; exit 1; }
  echo "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_dockerd() {
  echo "starting dockerd (log: $log)"
  $sudo sh -c "nohup dockerd >'$log' 2>&1 & echo \$! >'$pidfile'"
  for _ in $(seq 1 60); do
    engine_up && return 0
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.5
  done
  echo "dockerd did not answer; its log:" >&2
  tail -n 40 "$log" >&2
  exit 1
}

if ! command -v docker >/dev/null 2>&1 || ! engine_up; then
  install_packages
  engine_up || start_dockerd
else
  command -v bwrap >/dev/null 2>&1 || install_packages
fi
echo "engine: $(docker version --format '{{.Server.Version}}')"
recipe="$(sha256sum "$here/sandbox/build-offline-image.sh" | cut -c1-16)"
built="$(docker image inspect -f '{{index .Config.Labels "io.aiide.recipe"}}' "$image" 2>/dev/null || true)"
if [ "$built" != "$recipe" ]; then  # missing, or made by another version of the recipe
  command -v debootstrap >/dev/null 2>&1 || install_packages
  $sudo "$here/sandbox/build-offline-image.sh" "$image"
fi
echo "image: $image"
