// snet-agent --shard i/N (agents/device_selection.hpp): the shards of a device list are disjoint,
// cover it, are balanced, and the flag's text is checked.
#include <doctest/doctest.h>

#include <set>

#include "device_selection.hpp"
#include "snet/flags.hpp"

using namespace snet;
using namespace snet::agents;

TEST_CASE("shard: parsed from i/N, every mistake named") {
  CHECK(parse_shard("").index == 0);
  CHECK(parse_shard("").count == 1);
  CHECK(parse_shard("1/3").index == 1);
  CHECK(parse_shard("1/3").count == 3);
  for (const char* bad : {"3/3", "1", "a/2", "1/0", "-1/2", "1/", "/2", "1/2/3", "1/9999999"}) {
    CAPTURE(std::string(bad));
    CHECK_THROWS_AS(parse_shard(bad), UsageError);
  }
  CHECK_THROWS_WITH(parse_shard("2/2"),
                    doctest::Contains("--shard: '2/2' names a shard past the last"));
}

TEST_CASE("shard: every N-th device from the i-th, disjoint, covering, balanced") {
  Topology topology;
  for (int i = 0; i < 10; ++i) {
    Device d;
    d.id = "d" + std::to_string(i);
    topology.devices.push_back(d);
  }
  std::vector<const Device*> all;
  for (const auto& d : topology.devices) all.push_back(&d);
  CHECK(shard_of(all, {}) == all);
  std::set<const Device*> seen;
  for (int i = 0; i < 3; ++i) {
    const auto shard = shard_of(all, {i, 3});
    CHECK(shard.size() >= 3);
    CHECK(shard.size() <= 4);
    for (const Device* d : shard) CHECK(seen.insert(d).second);
  }
  CHECK(seen.size() == all.size());
  const auto second = shard_of(all, {1, 3});
  REQUIRE(second.size() == 3);
  CHECK(second[0]->id == "d1");
  CHECK(second[1]->id == "d4");
  CHECK(second[2]->id == "d7");
  CHECK(shard_of(all, {0, 2}) == shard_of(all, {0, 2}));  // deterministic
}

TEST_CASE("shard slot: slot:K/N of a swarm task is shard K-1 of N and K outside 1..N refused") {
  CHECK(parse_shard("slot:1/3").index == 0);
  CHECK(parse_shard("slot:1/3").count == 3);
  CHECK(parse_shard("slot:3/3").index == 2);
  CHECK(parse_shard("slot:1/1").count == 1);
  // The same shards as i/N: task K of N hosts exactly what shard K-1 would.
  for (int k = 1; k <= 4; ++k) {
    const Shard slot = parse_shard("slot:" + std::to_string(k) + "/4");
    const Shard plain = parse_shard(std::to_string(k - 1) + "/4");
    CHECK(slot.index == plain.index);
    CHECK(slot.count == plain.count);
  }
  for (const char* bad : {"slot:4/3", "slot:0/3", "slot:1/0", "slot:", "slot:1", "slot:a/2",
                          "slot:-1/2", "Slot:1/2", "slot:1/2/3"}) {
    CAPTURE(std::string(bad));
    CHECK_THROWS_AS(parse_shard(bad), UsageError);
  }
  CHECK_THROWS_WITH(parse_shard("slot:4/3"),
                    doctest::Contains("--shard: 'slot:4/3' names a slot past the last"));
  CHECK_THROWS_WITH(parse_shard("slot:0/3"), doctest::Contains("task slots count from 1"));
}

TEST_CASE("device urls: MQTT devices of an AMQP broker use the MQTT plugin of every node") {
  const std::vector<const Device*> none;
  const DeviceUrls one = device_urls("amqp://u:p@rabbitmq:5672/snet", "", none);
  CHECK(one.amqp == "amqp://u:p@rabbitmq:5672/snet");
  CHECK(one.mqtt == "mqtt://rabbitmq:1883");
  // A cluster: the devices fail over between the nodes as the AMQP ones do.
  CHECK(device_urls("amqp://u:p@r1:5672,r2:5673,r3/snet?queue-type=quorum", "", none).mqtt ==
        "mqtt://r1:1883,r2:1883,r3:1883");
  // Given, or the broker is MQTT: as it is.
  CHECK(device_urls("amqp://r1,r2/snet", "mqtt://m:1884", none).mqtt == "mqtt://m:1884");
  CHECK(device_urls("mqtt://m:1883", "", none).mqtt == "mqtt://m:1883");
  CHECK(device_urls("mqtt://m:1883", "", none).amqp.empty());
}
