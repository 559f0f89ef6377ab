#!/usr/bin/env bash
# Set up Kestrel on this machine and run the sensor in the foreground:
# install packages, build, install binary + config + rules, then start capturing.
# Run from the repository root as root. Extra arguments go to kestrel (e.g. -o json_output=true).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root (sudo $0)" >&2; exit 1; }
scripts/install-deps.sh
make -j"$(nproc)"
make install
echo "setup.sh: starting kestrel (Ctrl-C stops it); alerts appear below" >&2
exec /usr/bin/kestrel -c /etc/kestrel/kestrel.yaml "$@"
