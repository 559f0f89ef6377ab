#!/usr/bin/env bash
# Install the Debian packages Kestrel builds, tests and runs with. Idempotent; run as root.
set -euo pipefail
PKGS=(build-essential clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libyaml-dev
      liburing-dev libjemalloc-dev libcmocka-dev libcurl4-openssl-dev libmicrohttpd-dev
      pkg-config python3 python3-matplotlib gcc libclang-rt-14-dev systemd)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
