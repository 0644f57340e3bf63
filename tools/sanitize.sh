#!/usr/bin/env bash
# Builds the project with AddressSanitizer+UBSan (build-asan/) and with ThreadSanitizer
# (build-tsan/), the CMakePresets.json presets of the same names (-O1 -g1), only the targets the
# chosen tests need, and runs a bounded subset under each: the relayer's and MQTT codec's unit
# tests (ASan), the AMQP bus against a real RabbitMQ (its connection thread, confirms, acks from
# other threads), and a press storm through Mosquitto, snet-relayer, snet-agent and snet-state
# (tools/sanitizers/press_storm.sh: Paho's threads, the agents' Asio client, the state service's
# writer and HTTP threads), each service stopped with SIGTERM so leaks are checked at exit.
# A report from any process fails the run, including the services (their stderr goes to their
# logs, so every sanitizer writes its reports to files here and they are checked).
#   SNET_SANITIZERS   asan tsan (default: both); 0 skips
#   SNET_JOBS         build jobs (default: nproc)
# tools/test.sh runs this after the normal tests. Suppressions (third-party only): tools/sanitizers/.
set -euo pipefail
cd "$(dirname "$0")/.."
want="${SNET_SANITIZERS:-asan tsan}"
if [ "$want" = 0 ]; then
  echo "sanitize: skipped (SNET_SANITIZERS=0)"
  exit 0
fi
supp="$PWD/tools/sanitizers"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
jobs="${SNET_JOBS:-$(nproc)}"

# The programs the subset runs.
targets=(snet-relayer snet-agent snet-state snet_amqp_tests)
asan_targets=(snet_relayer_agents_cli_unit_tests)
# The AMQP bus's tests (ctest -R), each a different thread interplay; run under both.
subset='integration/amqp/(AMQP publish reaches|publisher confirms|manual acks deferred|manual ack:'
subset+='|malformed, odd)'

run() {  # run PRESET TEST_REGEX
  local name=$1 tests=$2
  local dir="build-$name" reports
  reports="$(mktemp -d -t "snet-$name-reports.XXXXXX")"
  local started=$(date +%s)
  cmake --preset "$name" >/dev/null
  local build=("${targets[@]}")
  [ "$name" = asan ] && build+=("${asan_targets[@]}")
  cmake --build "$dir" -j"$jobs" --target "${build[@]}"
  local built=$(date +%s)
  # Reports go to files (log_path: one per process) and stderr stays clean for the tests that
  # read it; the checks below print them.
  local status=0
  ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:detect_stack_use_after_return=0:strict_init_order=1" \
  LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp" \
  TSAN_OPTIONS="log_path=$reports/tsan:suppressions=$supp/tsan.supp:second_deadlock_stack=1:history_size=4" \
    bash -c 'ctest --test-dir "$1" --output-on-failure --parallel 2 --timeout 600 --no-tests=error -R "$2" &&
             tools/sanitizers/press_storm.sh "$1"' _ "$dir" "$tests" || status=$?
  local found
  found=$(find "$reports" -type f -size +0 | sort)
  if [ -n "$found" ]; then
    for f in $found; do echo "=== sanitize: $name report $f"; cat "$f"; done
    status=1
  fi
  echo "sanitize: $name built in $(( built - started )) s, tests ran in $(( $(date +%s) - built )) s," \
       "$( [ -z "$found" ] && echo "no reports" || echo "$(echo "$found" | wc -l) report(s)")"
  rm -rf "$reports"
  return $status
}

status=0
for name in $want; do
  case $name in
    asan) run asan "^unit/press-path/|$subset" || status=1 ;;
    tsan) run tsan "$subset" || status=1 ;;
    *) echo "sanitize: unknown sanitizer '$name' (asan, tsan or 0)" >&2; exit 2 ;;
  esac
done
exit $status
