#!/usr/bin/env bash
# Compares the WebAssembly core with the native core on the same 12-megapixel RGBA pixels: every hash a
# case stores, median and best of 5 runs each, one after the other on one core. Needs swiftc and node.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
work=$(mktemp -d "${TMPDIR:-/tmp}/hashcore-measure.XXXXXX")
trap 'rm -rf "$work"' EXIT
mapfile -t sources < <(find "$PWD/Sources/NCCHashCore" -name '*.swift' | LC_ALL=C sort)
swiftc -O -wmo -parse-as-library -module-name NCCHashCore -package-name nccmatch "${sources[@]}" \
  -c -o "$work/core.o" -emit-module -emit-module-path "$work/NCCHashCore.swiftmodule"
swiftc -O -parse-as-library -I "$work" Scripts/wasm/measure-native.swift "$work/core.o" -o "$work/measure-native"
echo "hashcore.wasm: $(stat -c %s Sources/NCCServer/Page/Site/hashcore.wasm) bytes"
"$work/measure-native"
node Scripts/wasm/measure-wasm.mjs
