// Which of a topology's devices an agent hosts: `--devices all|id,id,...` and
// `--kinds all|buttons|actuators|sensors`, never an external device (another program plays it);
// and the broker URL each one connects to (MQTT devices on RabbitMQ use its MQTT plugin). Throws
// snet::UsageError naming an unknown id or kind, or a URL that cannot carry a device's protocol.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "snet/topology.hpp"

namespace snet::agents {

std::vector<const Device*> select_devices(const Topology& topology, const std::string& devices,
                                          const std::string& kinds);

/// `--shard i/N`: this agent hosts shard i (0 <= i < N) of the selected devices when `snet up`
/// splits them over N agents (one process holds fewer sockets than its open-file limit).
struct Shard {
  int index = 0, count = 1;
};
/// "" is the whole (0/1); "slot:K/N" (1 <= K <= N) is shard K-1 of N: a Docker Swarm task's
/// slot ({{.Task.Slot}} counts from 1), see docker-stack.yml. Throws snet::UsageError naming what
/// is wrong with `text`.
Shard parse_shard(const std::string& text);
/// The devices of `shard`: every count-th from the index-th, in topology order, so that each
/// shard gets its share of every kind (the shards of one list are disjoint and cover it).
std::vector<const Device*> shard_of(const std::vector<const Device*>& devices, Shard shard);

/// The URL for each protocol. `broker_url` is the broker's own (amqp:// for RabbitMQ);
/// `mqtt_url` the MQTT listener for protocol "mqtt" devices; empty: `broker_url` itself when it
/// is mqtt://, else mqtt://<its host>:1883 (RabbitMQ's MQTT plugin on its default port).
struct DeviceUrls {
  std::string amqp, mqtt;
  const std::string& of(Protocol protocol) const {
    return protocol == Protocol::amqp ? amqp : mqtt;
  }
};
DeviceUrls device_urls(const std::string& broker_url, const std::string& mqtt_url,
                       const std::vector<const Device*>& devices);

}  // namespace snet::agents
