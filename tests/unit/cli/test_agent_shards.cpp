// How many agents `snet up` runs (cli/agent_shards.hpp): one until the open-file limit (less
// headroom) is reached, then as many as hold the devices; --agents overrides it.
#include <doctest/doctest.h>

#include "agent_shards.hpp"
#include "snet/flags.hpp"

using namespace snet::cli;

TEST_CASE("agents: the devices one agent may host are the open-file limit less headroom") {
  CHECK(devices_per_agent(20'000, 1) == 17'500);  // an eighth kept for the agent's own files
  CHECK(devices_per_agent(20'000, 4) == 4'375);   // through the process engine's relay
  CHECK(devices_per_agent(1'024, 1) == 768);      // at least 256 kept
  CHECK(devices_per_agent(100, 1) == 1);          // never none
}

TEST_CASE("agents: auto is one agent up to the threshold, then as many as hold the devices") {
  CHECK(agent_count("auto", 15'000, 20'000, 1) == 1);  // campus, each device one socket
  CHECK(agent_count("auto", 17'500, 20'000, 1) == 1);
  CHECK(agent_count("auto", 17'501, 20'000, 1) == 2);
  CHECK(agent_count("", 40'000, 20'000, 1) == 3);
  CHECK(agent_count("auto", 15'000, 20'000, 4) == 4);  // campus through the relay
  CHECK(agent_count("auto", 2, 1'024, 1) == 1);
  CHECK(agent_count("auto", 0, 1'024, 1) == 1);
  CHECK(agent_count("auto", 10'000'000, 1'024, 1) == kMaxAgents);  // capped
}

TEST_CASE("agents: a number overrides the threshold, never past the devices") {
  CHECK(agent_count("2", 4, 20'000, 1) == 2);
  CHECK(agent_count("3", 2, 20'000, 1) == 2);  // no agent without devices
  CHECK(agent_count("1", 40'000, 20'000, 1) == 1);
  CHECK_THROWS_AS(agent_count("0", 4, 20'000, 1), snet::UsageError);
  CHECK_THROWS_AS(agent_count("65", 400, 20'000, 1), snet::UsageError);
  CHECK_THROWS_AS(agent_count("two", 4, 20'000, 1), snet::UsageError);
  CHECK_THROWS_AS(agent_count("-1", 4, 20'000, 1), snet::UsageError);
}

TEST_CASE("agents: one is named agent, several agent-0 .. agent-N-1") {
  CHECK(agent_names(1) == std::vector<std::string>{"agent"});
  CHECK(agent_names(3) == std::vector<std::string>{"agent-0", "agent-1", "agent-2"});
}

TEST_CASE("agents: agents starting together share one agent's connect batch, at least 8 each") {
  CHECK(connect_batch_per_agent(1) == 64);
  CHECK(connect_batch_per_agent(4) == 16);  // campus through the relay: 64 handshakes at once
  CHECK(connect_batch_per_agent(16) == 8);
  CHECK(connect_batch_per_agent(64) == 8);
}
