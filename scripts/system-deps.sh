#!/usr/bin/env bash
# Install the named Debian/Ubuntu packages that are missing (commands of the same name).
set -euo pipefail
missing=()
for cmd in "$@"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
if command -v apt-get >/dev/null 2>&1; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
elif command -v brew >/dev/null 2>&1; then
  brew install "${missing[@]}"
else
  echo "Please install: ${missing[*]}" >&2
  exit 1
fi
