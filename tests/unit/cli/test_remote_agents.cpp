// Agents on other hosts (cli/remote_agents.hpp, `snet up --remote-agents`): the broker's listen
// addresses, the address other hosts reach, and each agent's command rewritten to it.
#include <doctest/doctest.h>

#include <filesystem>

#include "harness.hpp"
#include "remote_agents.hpp"
#include "snet/atomic_file.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/flags.hpp"

using namespace snet::cli;

TEST_CASE("remote agents: --mqtt-bind takes addresses separated by commas") {
  const auto one = parse_broker_binds("127.0.0.1");
  CHECK(one.first == "127.0.0.1");
  CHECK(one.more.empty());
  const auto two = parse_broker_binds("127.0.0.1,192.0.2.10");
  CHECK(two.first == "127.0.0.1");
  CHECK(two.more == std::vector<std::string>{"192.0.2.10"});
  CHECK_THROWS_AS(parse_broker_binds(""), snet::UsageError);
  CHECK_THROWS_WITH_AS(parse_broker_binds("127.0.0.1,,10.0.0.1"), doctest::Contains("empty"),
                       snet::UsageError);
  CHECK_THROWS_WITH_AS(parse_broker_binds("10.0.0.1,10.0.0.1"), doctest::Contains("twice"),
                       snet::UsageError);
}

TEST_CASE("remote agents: other hosts reach the first address that is not loopback") {
  CHECK(address_for_other_hosts(parse_broker_binds("127.0.0.1")).empty());
  CHECK(address_for_other_hosts(parse_broker_binds("127.0.0.1,::1")).empty());
  CHECK(address_for_other_hosts(parse_broker_binds("127.0.0.1,192.0.2.10,198.51.100.1")) ==
        "192.0.2.10");
  CHECK(address_for_other_hosts(parse_broker_binds("0.0.0.0")) == "<this-host>");
}

TEST_CASE("remote agents: a URL keeps its scheme login ports and path under another host") {
  CHECK(with_url_host("mqtt://snet.agent-0@127.0.0.1:1883", "10.1.0.1") ==
        "mqtt://snet.agent-0@10.1.0.1:1883");
  CHECK(with_url_host("mqtt://127.0.0.1:1883", "10.1.0.1") == "mqtt://10.1.0.1:1883");
  CHECK(with_url_host("amqp://u:p@127.0.0.1:5672,127.0.0.1:5673/snet?heartbeat=5", "h") ==
        "amqp://u:p@h:5672,h:5673/snet?heartbeat=5");
  CHECK(with_url_host("mqtt://127.0.0.1:1883", "fd00::1") == "mqtt://[fd00::1]:1883");
  CHECK_THROWS_AS(with_url_host("127.0.0.1:1883", "h"), std::invalid_argument);
}

TEST_CASE("remote agents: each command names the reachable broker and drops empty variables") {
  const auto agent =
      remote_agent("agent-1",
                   {"--broker-url", "mqtt://snet.agent-1@127.0.0.1:1883", "--topology", "t.json",
                    "--mqtt-url", "mqtts://127.0.0.1:8883", "--name", "agent-1", "--shard", "1/3"},
                   {{"SNET_BROKER_PASSWORD_FILE", "/d/credentials/snet.agent-1.password"},
                    {"SNET_BROKER_PASSWORD", ""}},
                   "192.0.2.10");
  CHECK(agent.args.at(1) == "mqtt://snet.agent-1@192.0.2.10:1883");
  CHECK(agent.args.at(5) == "mqtts://192.0.2.10:8883");
  CHECK(agent.args.at(9) == "1/3");
  CHECK(agent.env == std::map<std::string, std::string>{
                         {"SNET_BROKER_PASSWORD_FILE", "/d/credentials/snet.agent-1.password"}});
  const std::string text = remote_agents_text({agent});
  CHECK(text.find("agent-1: SNET_BROKER_PASSWORD_FILE=/d/credentials/snet.agent-1.password "
                  "snet-agent --broker-url mqtt://snet.agent-1@192.0.2.10:1883") !=
        std::string::npos);
  CHECK(text.find("--shard 1/3") != std::string::npos);
}

TEST_CASE("remote agents: a shard's devices are every Nth from the ith that an agent plays") {
  const auto topology = snet::load_topology(snet::test::source_path("tests/topology/shards.json"));
  CHECK(shard_device_ids(topology, 0, 3) ==
        std::vector<std::string>{"button-1", "actuator-2", "sensor-1"});
  CHECK(shard_device_ids(topology, 2, 3) ==
        std::vector<std::string>{"button-2", "actuator-3", "sensor-3"});
  CHECK(shard_device_ids(topology, 0, 1).size() == 9);
}

TEST_CASE("remote agents: a host's credentials file holds its own devices only") {
  snet::test::TempDir dir("remote-agents");
  const std::string all = dir.path() + "/devices.credentials";
  snet::write_file_atomically(all, "a:pa\nb:pb\nc:pc\n", 0600);
  const std::string mine = write_shard_credentials(all, dir.path(), "agent-1", {"a", "c"});
  CHECK(mine == dir.path() + "/agent-1.devices.credentials");
  CHECK(snet::read_credentials_file(mine) ==
        std::map<std::string, std::string>{{"a", "pa"}, {"c", "pc"}});
  const auto owner_only = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  CHECK((std::filesystem::status(mine).permissions() & std::filesystem::perms::all) == owner_only);
  CHECK_THROWS_WITH_AS(write_shard_credentials(all, dir.path(), "agent-2", {"d"}),
                       doctest::Contains("no credentials for device 'd'"), std::invalid_argument);
  const auto agent = remote_agent("agent-1", {"--device-credentials-file", all}, {}, "h", mine);
  CHECK(agent.args.at(1) == mine);
}
