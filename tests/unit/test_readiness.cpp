#include <doctest/doctest.h>

#include "readiness.hpp"

using nlohmann::json;
using snet::state::press_path_problems;

namespace {
json service(bool online, bool stale = false) {
  return {{"online", online}, {"stale", stale}};
}
}  // namespace

TEST_CASE("the press path is ready with a relayer and every agent online") {
  CHECK(press_path_problems({{"relayer", service(true)}, {"agent", service(true)}}).empty());
  CHECK(press_path_problems({{"relayer-1", service(false)},
                             {"relayer-2", service(true)},
                             {"agent-a", service(true)},
                             {"state", service(false)}})
            .empty());
}

TEST_CASE("not ready: no relayer, no agent, or an agent offline or stale, each named") {
  CHECK(press_path_problems(json::object()).size() == 2);
  CHECK(press_path_problems({{"relayer", service(false)}, {"agent", service(true)}}).size() == 1);
  const auto stale = press_path_problems(
      {{"relayer", service(true)}, {"agent", service(true)}, {"agent-b", service(true, true)}});
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].find("agent-b") != std::string::npos);
  CHECK(press_path_problems({{"relayers", service(true)}, {"agent", service(true)}}).size() == 1);
}
