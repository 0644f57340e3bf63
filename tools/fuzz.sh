#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/; CMakePresets.json's preset "fuzz": clang 14, ASan+UBSan,
# only the fuzz targets and the libraries they need) and runs each for a bounded time from its
# seed corpus (fuzz/corpus/<target>/, only read: what the fuzzer adds goes to
# build-fuzz/corpus/<target>/, so later runs start from there), with its dictionary
# (fuzz/dict/). Prints each target's executions, executions/s and coverage. A crash, sanitizer
# report, leak, timeout or out-of-memory fails the run; its input lands in
# build-fuzz/crashes/<target>/ (reproduce: build-fuzz/snet_fuzz_<target> FILE; then make it a
# unit test and keep the input in fuzz/corpus/<target>/, whose replay is a unit test too).
#   SNET_FUZZ           0 skips
#   SNET_FUZZ_SECONDS   per target (default 20)
#   SNET_FUZZ_TARGETS   which (default: topology messages mqtt_packets amqp_message http_request)
#   SNET_JOBS           build jobs (default: nproc)
# tools/test.sh runs this after tools/sanitize.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SNET_FUZZ:-1}" = 0 ]; then
  echo "fuzz: skipped (SNET_FUZZ=0)"
  exit 0
fi
seconds="${SNET_FUZZ_SECONDS:-20}"
read -r -a targets <<<"${SNET_FUZZ_TARGETS:-topology messages mqtt_packets amqp_message http_request}"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
out=build-fuzz

started=$(date +%s)
cmake --preset fuzz >/dev/null
cmake --build "$out" -j"${SNET_JOBS:-$(nproc)}" --target "${targets[@]/#/snet_fuzz_}"
built=$(date +%s)
echo "fuzz: built in $(( built - started )) s; ${seconds} s per target"

# The largest input per target: a message's size limit (kMaxPayloadBytes 4096, plus the
# selector byte), a topology or request larger than any seed, a packet with room to spare.
max_len() {
  case $1 in
    topology) echo 16384 ;;
    http_request) echo 8192 ;;
    *) echo 4200 ;;
  esac
}
dict() {
  case $1 in
    http_request) echo fuzz/dict/http_request.dict ;;
    mqtt_packets) ;;  # binary: no dictionary
    *) echo fuzz/dict/json.dict ;;
  esac
}

status=0
summary=()
for target in "${targets[@]}"; do
  corpus="$out/corpus/$target" crashes="$out/crashes/$target" log="$out/fuzz-$target.log"
  mkdir -p "$corpus"
  rm -rf "$crashes" && mkdir -p "$crashes"
  options=(-max_total_time="$seconds" -max_len="$(max_len "$target")" -rss_limit_mb=2048
           -timeout=10 -print_final_stats=1 -artifact_prefix="$crashes/")
  d=$(dict "$target")
  [ -n "$d" ] && options+=(-dict="$d")
  rc=0
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$out/snet_fuzz_$target" "${options[@]}" "$corpus" "fuzz/corpus/$target" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  found=$(find "$crashes" -type f | wc -l)
  line="$target: ${runs:-?} runs, ${rate:-?} exec/s, coverage ${cov:-?} edges"
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    status=1
    line+=" -- FAILED (exit $rc, $found input(s) in $crashes/)"
    echo "=== fuzz: $target failed; the end of $log:"
    tail -60 "$log"
  fi
  echo "fuzz: $line"
  summary+=("$line")
done
echo "fuzz: ran in $(( $(date +%s) - built )) s"
printf 'fuzz: %s\n' "${summary[@]}"
exit $status
