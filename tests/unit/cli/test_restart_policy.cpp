// The restart policy of `snet up` (cli/restart_policy.hpp) and the topology's "relayers": pure,
// no processes.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "restart_policy.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::cli;
using namespace std::chrono_literals;

namespace {
constexpr auto kBrief = 50ms;  // a run far shorter than the healthy 30 s
}

TEST_CASE("--restart accepts on-failure, always and no, and names them for anything else") {
  CHECK(parse_restart_mode("on-failure") == RestartMode::on_failure);
  CHECK(parse_restart_mode("always") == RestartMode::always);
  CHECK(parse_restart_mode("no") == RestartMode::no);
  for (auto mode : {RestartMode::on_failure, RestartMode::always, RestartMode::no}) {
    CHECK(parse_restart_mode(to_string(mode)) == mode);
  }
  try {
    parse_restart_mode("sometimes");
    FAIL("accepted 'sometimes'");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) ==
          "restart policy is 'sometimes', expected one of: on-failure, always, no");
  }
}

TEST_CASE("on-failure restarts after a failure or a signal, not after a clean exit") {
  RestartPolicy policy(RestartMode::on_failure);
  CHECK(policy.on_exit(false, kBrief).restart);
  CHECK_FALSE(policy.on_exit(true, kBrief).restart);
}

TEST_CASE("always restarts after any exit, no never does") {
  RestartPolicy always(RestartMode::always);
  CHECK(always.on_exit(true, kBrief).restart);
  CHECK(always.on_exit(false, kBrief).restart);
  RestartPolicy never(RestartMode::no);
  CHECK_FALSE(never.on_exit(false, kBrief).restart);
  CHECK_FALSE(never.on_exit(true, kBrief).restart);
}

TEST_CASE("the delay starts at 0.1 s and doubles up to 5 s") {
  RestartPolicy policy(RestartMode::on_failure);
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(policy.on_exit(false, kBrief).delay.count());
  CHECK(delays == std::vector<long>{100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000});
}

TEST_CASE("a run of 30 s or more forgets earlier failures, a shorter one does not") {
  RestartPolicy policy(RestartMode::on_failure);
  for (int i = 0; i < 4; ++i) policy.on_exit(false, kBrief);  // next would be 1.6 s
  CHECK(policy.on_exit(false, 29s).delay == 1600ms);
  CHECK(policy.on_exit(false, 30s).delay == 100ms);
  CHECK(policy.on_exit(false, kBrief).delay == 200ms);
}

TEST_CASE("a start by hand resets the back-off, a clean exit under on-failure leaves it") {
  RestartPolicy policy(RestartMode::on_failure);
  for (int i = 0; i < 3; ++i) policy.on_exit(false, kBrief);
  CHECK_FALSE(policy.on_exit(true, kBrief).restart);
  CHECK(policy.on_exit(false, kBrief).delay == 800ms);
  policy.reset();
  CHECK(policy.on_exit(false, kBrief).delay == 100ms);
}

TEST_CASE("custom back-off bounds are honoured") {
  RestartPolicy policy(RestartMode::always, Backoff{10ms, 25ms, 1s});
  CHECK(policy.on_exit(true, kBrief).delay == 10ms);
  CHECK(policy.on_exit(true, kBrief).delay == 20ms);
  CHECK(policy.on_exit(true, kBrief).delay == 25ms);
  CHECK(policy.on_exit(true, 2s).delay == 10ms);
}

TEST_CASE("a topology's \"relayers\" is 1 by default, 1..16, and a clear error otherwise") {
  const std::string devices =
      R"("devices": [{"id": "b", "kind": "button", "targets": ["a"]},
                     {"id": "a", "kind": "actuator"}])";
  CHECK(parse_topology_text(R"({"name": "t", )" + devices + "}").relayers == 1);
  const auto three = parse_topology_text(R"({"name": "t", "relayers": 3, )" + devices + "}");
  CHECK(three.relayers == 3);
  auto error_of = [&](const std::string& value) {
    try {
      parse_topology_text(R"({"name": "t", "relayers": )" + value + ", " + devices + "}");
    } catch (const TopologyError& e) {
      return e.errors.empty() ? std::string() : e.errors.front();
    }
    return std::string("no error");
  };
  CHECK(error_of("0") == "relayers: must be from 1 to 16, not 0");
  CHECK(error_of("17") == "relayers: must be from 1 to 16, not 17");
  CHECK(error_of("\"two\"") == "relayers: must be a whole number from 1 to 16, not \"two\"");
  CHECK(error_of("1.5") == "relayers: must be a whole number from 1 to 16, not 1.5");
}
