#!/usr/bin/env bash
# Sluice developer entry point: installs what is missing, builds (Release) into build/, then
#   ./dev.sh demo   runs the main demo (word count over the King James Bible)
#   ./dev.sh cluster-demo   the same job on a coordinator and two workers (processes on loopback)
#   ./dev.sh test   runs the whole CTest suite (add -L/-LE arguments to pick labels)
#   ./dev.sh build  only builds
#   ./dev.sh bench  builds and runs the benchmarks under bench/
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config libcaf-dev librocksdb-dev librdkafka-dev libeigen3-dev
          libboost-test-dev nlohmann-json3-dev libcli11-dev libxxhash-dev
          libssl-dev openssl iproute2 kcat python3-kafka)
# Only ./dev.sh bench needs these: bench_ml runs scikit-learn (Debian's, /usr/bin/python3) beside
# Sluice's models.
BENCH_PACKAGES=(python3-sklearn)

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}"
  }
}

build() {
  install_packages "${PACKAGES[@]}"
  local jobs
  jobs=$(nproc 2>/dev/null || echo 2)
  if [ ! -f build/CMakeCache.txt ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build build -j "$jobs" >build/last-build.log 2>&1 || {
    cat build/last-build.log >&2; echo "dev.sh: build failed (log: build/last-build.log)" >&2; exit 1; }
}

cmd=${1:-demo}
shift || true
case "$cmd" in
  build) build ;;
  demo)
    build
    exec ./build/examples/wordcount --input examples/data/kjv.txt --output build/demo-wordcount \
      --parallelism 2 --top 15 --progress "$@"
    ;;
  cluster-demo)
    build
    out=build/demo-cluster
    log=$(mktemp -d)
    trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$log"' EXIT
    ./build/examples/wordcount --role coordinator --listen 127.0.0.1:0 --min-workers 2 \
      --input examples/data/kjv.txt --output "$out" --checkpoint-dir "$out.checkpoints" \
      --from-scratch --parallelism 2 --top 15 "$@" 2> >(tee "$log/coordinator" >&2) &
    coordinator=$!
    for _ in $(seq 100); do grep -q "listening on" "$log/coordinator" 2>/dev/null && break; sleep 0.1; done
    port=$(sed -n 's/.*coordinator listening on [^ ]*:\([0-9]*\).*/\1/p' "$log/coordinator")
    [ -n "$port" ] || { echo "dev.sh: the coordinator did not start" >&2; exit 1; }
    for w in 1 2; do
      ./build/examples/wordcount --role worker --join "127.0.0.1:$port" --slots 1 \
        2> >(sed "s/^/[worker $w] /" >&2) &
    done
    wait "$coordinator"
    ;;
  test)
    build
    cd build && exec ctest --output-on-failure --timeout 600 "$@"
    ;;
  bench)
    install_packages "${BENCH_PACKAGES[@]}"
    build
    for b in build/bench/bench_*; do "$b" "$@"; done
    ;;
  *) echo "usage: ./dev.sh demo|cluster-demo|test|build|bench" >&2; exit 2 ;;
esac
