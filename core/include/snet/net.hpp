// Small socket helpers for launchers and tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace snet {

/// A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range (so no
/// outgoing connection takes it before the caller binds it); never the same twice in a row of
/// calls in one process (until the range is used up). Thread-safe.
int free_port();
/// Polls until host:port accepts a TCP connection, at most `timeout`. Returns whether it did.
bool wait_for_port(const std::string& host, int port, std::chrono::milliseconds timeout);

struct HostPort {
  struct Endpoint {
    std::string host;
    int port = 0;
    bool operator==(const Endpoint&) const = default;
  };
  std::string scheme, user, password, host;  // host, port: the first of `endpoints`
  int port = 0;
  std::string path;
  /// Every host of the URL in its order, at least one: "amqp://u@h1:5672,h2:5673/v" names a
  /// cluster's nodes, one login and vhost for all (a client tries them in turn).
  std::vector<Endpoint> endpoints;
};
/// Parses scheme://[user[:pass]@]host[:port][,host[:port]...][/path]; a host without a port gets
/// `default_port`; throws std::invalid_argument naming the URL.
HostPort parse_url(const std::string& url, int default_port);

/// `url` fit to show (logs, REST, WebSocket, health): a password in its user info becomes "***"
/// ("amqp://u:p@h/v" -> "amqp://u:***@h/v"); anything else is returned as it is.
std::string redacted_url(const std::string& url);

}  // namespace snet
