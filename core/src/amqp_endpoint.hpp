// Private: where and how an AMQP bus connects, parsed from
// amqp[s]://user:password@host:port[,host:port...]/vhost?heartbeat=<seconds>&persistent=<true|false>
// &queue-type=<classic|quorum>.
// Pure: safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "snet/net.hpp"

namespace snet::detail {

struct AmqpEndpoint {
  std::string host;  // where the next connection goes: one of `hosts`
  int port = 5672;
  /// Every node the URL names, in its order ("amqp://u@h1:1,h2:2/v"); a bus moves to the next
  /// when a connection fails or is lost.
  std::vector<HostPort::Endpoint> hosts;
  std::string user = "guest", password = "guest";  // AMQP URI defaults
  std::string vhost = "/";
  std::chrono::seconds heartbeat{20};
  /// QoS 1 messages are persistent (kept on disk by durable queues, so they survive a broker
  /// restart). RabbitMQ then syncs to disk before it confirms, which puts ~1-3 ms on each hop
  /// into a durable queue; persistent=false trades that safety for ~0.1 ms hops.
  bool persistent = true;
  /// Durable named queues (a bus's own, groups') are quorum queues: replicated over a cluster's
  /// nodes, so a node's loss loses no confirmed message. Every client of a broker must agree:
  /// RabbitMQ refuses to declare an existing queue with another type.
  bool quorum_queues = false;
  /// amqps://: TLS, the broker verified with `ca_file` (empty: the system's trust store).
  bool tls = false;
  std::string ca_file;
};

/// `default_heartbeat` applies unless the URL has ?heartbeat=N (0 turns heartbeats off);
/// ?persistent=false (or 0) makes QoS 1 messages transient; ?queue-type=quorum makes durable
/// queues quorum queues (classic, the default, otherwise).
/// The vhost is the percent-decoded path ("/snet" -> "snet", "/%2F" -> "/"; none -> "/").
/// Throws std::invalid_argument naming what is wrong with the URL.
AmqpEndpoint parse_amqp_url(const std::string& url, std::chrono::seconds default_heartbeat);

}  // namespace snet::detail
