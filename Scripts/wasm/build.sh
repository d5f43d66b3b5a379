#!/usr/bin/env bash
# Builds the hashing core (Sources/NCCHashCore + Wasm/Exports.swift) as Embedded Swift for wasm32 into
# Sources/NCCServer/Page/Site/hashcore.wasm, the module the person's page runs.
#
#   Scripts/wasm/build.sh           build and install the .wasm
#   Scripts/wasm/build.sh --check   build into a temporary file and fail when it differs from the committed one
#   Scripts/wasm/build.sh --out F   build into F instead
#
# Needs the Swift toolchain (swiftc with Embedded Swift, wasm-ld) and Debian's wasi-libc (libc and libm for wasm32).
# The build is reproducible: the same sources and toolchain give the same bytes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

site=Sources/NCCServer/Page/Site
target=$site/hashcore.wasm
mode=install
out=$target
case "${1:-}" in
  --check) mode=check ;;
  --out) out=${2:?--out needs a file}; mode=out ;;
  "") ;;
  *) echo "usage: $0 [--check | --out FILE]" >&2; exit 2 ;;
esac

swiftc=${SWIFTC:-$(command -v swiftc)}
toolchain_bin=$(dirname "$(readlink -f "$swiftc")")
wasm_ld=${WASM_LD:-$toolchain_bin/wasm-ld}
[ -x "$wasm_ld" ] || wasm_ld=$(command -v wasm-ld || true)
if [ -z "$wasm_ld" ] || [ ! -x "$wasm_ld" ]; then
  echo "wasm-ld not found beside $swiftc; install a Swift toolchain with WebAssembly support" >&2; exit 1
fi
wasi_lib=${WASI_LIBC:-}
if [ -z "$wasi_lib" ]; then
  for candidate in /usr/lib/wasm32-wasi /usr/lib/wasm32-wasip1 /usr/share/wasi-sysroot/lib/wasm32-wasi; do
    if [ -f "$candidate/libc.a" ]; then wasi_lib=$candidate; break; fi
  done
fi
if [ -z "$wasi_lib" ] || [ ! -f "$wasi_lib/libm.a" ]; then
  echo "wasi-libc not found (libc.a and libm.a for wasm32); on Debian: apt-get install wasi-libc" >&2; exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hashcore-wasm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Sources in a fixed order, so the module's bytes do not depend on the file system's listing order.
mapfile -t sources < <(find "$PWD/Sources/NCCHashCore" -name '*.swift' | LC_ALL=C sort)
sources+=("$PWD/Wasm/Exports.swift")

# -Osize: the page downloads the module; -disable-stack-protector: there is no libc stack guard in wasm32-unknown-none.
# Compiled inside the temporary folder to a relative name: the object's path ends up in the module's bytes.
root=$PWD
(cd "$work" && "$swiftc" -target wasm32-unknown-none-wasm \
  -enable-experimental-feature Embedded -enable-experimental-feature Extern \
  -wmo -parse-as-library -O -Xfrontend -disable-stack-protector \
  -Xcc -msimd128 -Xcc -mbulk-memory \
  -module-name NCCHashCore -package-name nccmatch \
  -file-prefix-map "$root"=. \
  -c "${sources[@]}" -o hashcore.o)

exports=(hashcore_alloc hashcore_free hashcore_hash_rgba hashcore_hash_luma hashcore_hash_frame_rgba hashcore_result
  hashcore_clear_result)
"$wasm_ld" ${WASM_LD_EXTRA:-} --no-entry --strip-all --gc-sections \
  "${exports[@]/#/--export=}" \
  -z stack-size=1048576 \
  "$work/hashcore.o" "$wasi_lib/libc.a" "$wasi_lib/libm.a" -o "$work/hashcore.wasm"

size=$(stat -c %s "$work/hashcore.wasm")
case $mode in
  install)
    mkdir -p "$site"
    cp "$work/hashcore.wasm" "$target"
    echo "built $target ($size bytes)" ;;
  out)
    cp "$work/hashcore.wasm" "$out"
    echo "built $out ($size bytes)" ;;
  check)
    if [ ! -f "$target" ]; then echo "no committed $target to check against; run $0 and commit it" >&2; exit 1; fi
    if cmp -s "$work/hashcore.wasm" "$target"; then
      echo "$target matches a fresh build from source ($size bytes)"
    else
      echo "$target differs from a fresh build of Sources/NCCHashCore and Wasm/Exports.swift: run $0 and commit the result" >&2
      exit 1
    fi ;;
esac
