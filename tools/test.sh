#!/usr/bin/env bash
# Runs the whole test suite from a fresh Debian 12 machine: installs what is missing, builds,
# prepares the browser and Docker tests, and runs every test with ctest (labels: unit,
# integration, browser, compose), then a bounded subset under sanitizers (tools/sanitize.sh) and
# the fuzz targets for a bounded time (tools/fuzz.sh). Extra arguments go to ctest, e.g.
# `tools/test.sh -L unit` (then no sanitizers or fuzzing unless SNET_SANITIZERS / SNET_FUZZ is
# set; SNET_SANITIZERS=0 and SNET_FUZZ=0 skip them always).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

tools/setup.sh

# Browser tests: Debian's Chromium driven by playwright-core from npm.
if ! command -v chromium >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [ -f tests/browser/package.json ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# snet-whisk's contract tests: Apache OpenWhisk's npm client (openwhisk), pinned.
if [ -f tests/whisk-client/package.json ]; then
  (cd tests/whisk-client && npm ci --no-audit --no-fund --loglevel=error)
fi

# Compose test: needs a Docker engine; without one it reports itself skipped. A dockerd started
# for these tests stops with them (one that was running already is left alone).
dockerd_pidfile="$(mktemp -t snet-dockerd.XXXXXX)"
stop_dockerd() {
  local pid
  pid="$(cat "$dockerd_pidfile" 2>/dev/null || true)"
  rm -f "$dockerd_pidfile"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  # Gone, or a zombie: its parent exited, and a PID 1 that reaps nothing keeps the entry.
  for _ in $(seq 1 60); do
    [ -e "/proc/$pid" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
    sleep 0.5
  done
  echo "test: stopped the dockerd started for the tests"
}
trap stop_dockerd EXIT
if SNET_DOCKERD_PIDFILE="$dockerd_pidfile" tools/docker-engine.sh; then export SNET_DOCKER=1; else echo "test: no Docker engine, compose test will be skipped"; fi

echo "test: setup took $(( $(date +%s) - started )) s"
status=0
ctest_status=0
ctest --test-dir "${SNET_BUILD_DIR:-build}" --output-on-failure --parallel 2 --timeout 1500 "$@" || ctest_status=$?
status=$ctest_status
# The whole suite (no ctest arguments) also runs a bounded subset under ASan+UBSan and TSan
# (tools/sanitize.sh); SNET_SANITIZERS=0 skips it, SNET_SANITIZERS=asan|tsan picks one.
if [ $# -eq 0 ] || [ -n "${SNET_SANITIZERS:-}" ]; then
  sanitize_started=$(date +%s)
  tools/sanitize.sh || status=1
  echo "test: sanitizers took $(( $(date +%s) - sanitize_started )) s"
fi
# Likewise the libFuzzer targets (tools/fuzz.sh: SNET_FUZZ_SECONDS each, default 20).
if [ $# -eq 0 ] || [ -n "${SNET_FUZZ:-}" ]; then
  fuzz_started=$(date +%s)
  tools/fuzz.sh || status=1
  echo "test: fuzzing took $(( $(date +%s) - fuzz_started )) s"
fi
# Last, so a CI log's tail names what failed.
if [ "$ctest_status" -ne 0 ]; then tools/failed-tests.sh "${SNET_BUILD_DIR:-build}"; fi
echo "test: total $(( $(date +%s) - started )) s"
exit $status
