#!/usr/bin/env bash
# The boundaries between folders that include paths alone cannot enforce (docs/design.md):
# no source includes another folder's file by a relative path, core/ includes no service,
# relayer/ and whisk/ never include each other, services use no launcher (cli/tests/bench do),
# and fuzz/'s targets stay in-process (no launcher, no test harness) and private to fuzz/.
set -uo pipefail
cd "$(dirname "$0")/../.."
failures=0
fail() { echo "structure: $*"; failures=$((failures + 1)); }
sources() { find "$@" -name '*.cpp' -o -name '*.hpp' 2>/dev/null; }
services="agents relayer state whisk"

# Including "../x/y.hpp" would walk around the include directories the build gives each target.
while IFS= read -r hit; do fail "relative include across folders: $hit"; done < <(
  grep -Hn '#include "\.\./' $(sources core openwhisk network experiment cli fuzz $services))

# core/ is the contract: it knows no service, the OpenWhisk client or the CLI.
for folder in $services openwhisk cli experiment network; do
  for header in $(cd "$folder" && ls *.hpp 2>/dev/null); do
    while IFS= read -r hit; do fail "core includes $folder/$header: $hit"; done < <(
      grep -Hn "#include \"$header\"" $(sources core))
  done
done

# relayer/ and whisk/ share only openwhisk/ and core/.
check_apart() {  # folder other
  for header in $(cd "$2" && ls *.hpp); do
    while IFS= read -r hit; do fail "$1 includes $2/$header: $hit"; done < <(
      grep -Hn "#include \"$header\"" $(sources "$1"))
  done
}
check_apart relayer whisk
check_apart whisk relayer
check_apart openwhisk relayer
check_apart openwhisk whisk

# Launchers (brokers as children) belong to the CLI, tests and benchmarks.
while IFS= read -r hit; do fail "a service uses a launcher: $hit"; done < <(
  grep -Hn '#include "snet/\(broker_launcher\|rabbitmq_launcher\).hpp"' $(sources $services openwhisk))

# The fuzz targets run millions of inputs in one process: no brokers, servers or sockets (the
# harness starts them); like tests they may look inside core/src and the services, never the
# other way round.
while IFS= read -r hit; do fail "a fuzz target uses a launcher or the test harness: $hit"; done < <(
  grep -Hn '#include "\(snet/broker_launcher\|snet/rabbitmq_launcher\|harness\).hpp"' $(sources fuzz))
while IFS= read -r hit; do fail "fuzz/ is included from outside it: $hit"; done < <(
  grep -Hn '#include "fuzz_support.hpp"' $(sources core openwhisk network experiment cli $services))

# A ';' in a test case's name splits it into CMake list items: ctest then registers fragments
# whose filters match no test case, and they "pass" without running anything (seen: 9 cases).
# -z reads each file whole, so a name clang-format put on the line after TEST_CASE( is seen too.
while IFS= read -r hit; do fail "a test name with ';' never runs under ctest: $hit"; done < <(
  grep -lPzo 'TEST_CASE\(\s*"[^"]*;' $(sources tests))

if [ "$failures" -gt 0 ]; then echo "structure: $failures problem(s)"; exit 1; fi
echo "structure: ok (folders keep to docs/design.md's boundaries)"
