#!/usr/bin/env bash
# copy-with-libs.sh BIN ROOT DEST: copy a dynamically linked program to ROOT/DEST with the
# shared libraries ldd lists and the dynamic loader, at their own paths under ROOT.
set -euo pipefail
bin=$1 root=$2 dest=$3
mkdir -p "$root/$(dirname "$dest")"
cp "$bin" "$root/$dest"
ldd "$bin" | grep -oE '/[^ ]+' | while read -r lib; do
	mkdir -p "$root/$(dirname "$lib")"
	cp -L "$lib" "$root/$lib"
done
