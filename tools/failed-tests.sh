#!/usr/bin/env bash
# Prints which ctest tests failed in a build directory and, for up to three, what failed (doctest's
# ERROR lines, else the end of the output), so the last lines of a long CI log say what broke
# (ctest prints failures inline, far above the end). tools/test.sh runs it when ctest failed.
# Usage: tools/failed-tests.sh [build-dir] [lines-per-test]
set -euo pipefail
build=${1:-build}
lines=${2:-25}
failed_list=$build/Testing/Temporary/LastTestsFailed.log
log=$build/Testing/Temporary/LastTest.log
[ -s "$failed_list" ] || exit 0
output=$(mktemp)
trap 'rm -f "$output"' EXIT
echo "test: FAILED: $(wc -l < "$failed_list") test(s):"
cut -d: -f2- "$failed_list" | sed 's/^/test:   /'
# At most three digests: the names above already list the rest.
cut -d: -f2- "$failed_list" | head -3 | while IFS= read -r name; do
  echo "---- $name:"
  awk -v name="$name" '
    $0 ~ /^[0-9]+\/[0-9]+ Test: / { sub(/^[0-9]+\/[0-9]+ Test: /, ""); current = ($0 == name); next }
    current && /^Output:$/ { collecting = 1; getline; next }
    current && collecting && /^<end of output>$/ { collecting = 0; next }
    current && collecting { print }
  ' "$log" >"$output"
  # A doctest failure says what and where in its ERROR lines; other tests (browser, compose) in
  # their last lines.
  if grep -qE ': (FATAL )?ERROR: ' "$output"; then
    grep -E -A1 ': (FATAL )?ERROR: ' "$output" | grep -v '^--$' | head -n "$lines"
  else
    tail -n "$lines" "$output"
  fi
done
