#!/usr/bin/env bash
# Installs what Serverlessnet needs on Debian 12 (only the missing packages) and builds it into
# ./build. Run as root (or with sudo) on a fresh machine; later runs only rebuild.
#   SNET_BUILD_DIR   build folder (default: build)
#   SNET_BUILD_TYPE  CMake build type (default: RelWithDebInfo)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libpaho-mqttpp-dev libpaho-mqtt-dev librabbitmq-dev nlohmann-json3-dev libsqlite3-dev
  doctest-dev libboost1.81-dev libcurl4-openssl-dev libssl-dev openssl  # openssl: snet up --tls
  mosquitto mosquitto-clients rabbitmq-server amqp-tools sqlite3 nodejs procps iproute2 iptables
  unzip zip  # snet-whisk: zipped actions (zip: their tests); npm comes with nodejs
  clang-14 libclang-rt-14-dev  # tools/fuzz.sh: libFuzzer and clang's sanitizer runtimes
  python3-paho-mqtt  # examples/external-device/lamp.py and its test
  stress-ng  # reproducing a busy neighbour beside snet-bench (c) by hand (README, Benchmarks)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Packages must not start their services (without systemd, rabbitmq-server's postinst leaves
  # an epmd daemon holding port 4369): every server we need is started by the tests or snet up.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir="${SNET_BUILD_DIR:-build}"
# ccache keyed on paths relative to the checkout: another clone or worktree (CI's) reuses it.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${SNET_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
# What snet-whisk's workers give actions to require() (the openwhisk npm client), pinned.
(cd whisk/runtime && npm ci --no-audit --no-fund --loglevel=error)
echo "setup: built into $build_dir/ (try: $build_dir/snet up)"
