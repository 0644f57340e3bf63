// snet::free_port: the ports one process is handed are distinct, so a test (or `snet run`) that
// asks for a broker port and an HTTP port never gets the same one twice (seen once in CI).
#include <doctest/doctest.h>

#include <set>

#include "snet/net.hpp"

TEST_CASE("free_port hands one process distinct ports, below the ephemeral range") {
  std::set<int> ports;
  for (int i = 0; i < 500; ++i) {
    const int port = snet::free_port();
    CHECK(port >= 1024);
    CHECK(port <= 65535);
    ports.insert(port);
  }
  CHECK(ports.size() == 500);
}

TEST_CASE("redacted_url hides a password and keeps the rest of the URL") {
  CHECK(snet::redacted_url("amqp://snet:snet@127.0.0.1:5672/snet") ==
        "amqp://snet:***@127.0.0.1:5672/snet");
  CHECK(snet::redacted_url("mqtt://user:p@ss@host:1883") == "mqtt://user:***@host:1883");
  CHECK(snet::redacted_url("mqtt://user@host:1883") == "mqtt://user@host:1883");
  CHECK(snet::redacted_url("mqtt://127.0.0.1:1883") == "mqtt://127.0.0.1:1883");
  CHECK(snet::redacted_url("http://host/a:b@c") == "http://host/a:b@c");  // '@' in the path
  CHECK(snet::redacted_url("not a url") == "not a url");
}

TEST_CASE("parse_url: several hosts name a cluster's nodes, the first is host and port") {
  const auto url = snet::parse_url("amqp://snet:pw@127.0.0.1:5672,127.0.0.1:5673,[::1]/snet", 5672);
  CHECK(url.user == "snet");
  CHECK(url.password == "pw");
  CHECK(url.path == "/snet");
  REQUIRE(url.endpoints.size() == 3);
  CHECK(url.host == "127.0.0.1");
  CHECK(url.port == 5672);
  CHECK(url.endpoints[1] == snet::HostPort::Endpoint{"127.0.0.1", 5673});
  CHECK(url.endpoints[2] == snet::HostPort::Endpoint{"::1", 5672});  // the default port
  const auto one = snet::parse_url("mqtt://h:1883", 1);
  CHECK(one.endpoints == std::vector<snet::HostPort::Endpoint>{{"h", 1883}});
  CHECK_THROWS_WITH_AS(snet::parse_url("amqp://u:secret@h1:1,/v", 5672),
                       "URL 'amqp://u:***@h1:1,/v' has no host", std::invalid_argument);
  CHECK_THROWS_WITH_AS(snet::parse_url("amqp://h1:1,h2:99999/v", 5672),
                       "URL 'amqp://h1:1,h2:99999/v': port '99999' is not 1-65535",
                       std::invalid_argument);
  // The password stays hidden however many hosts follow it.
  CHECK(snet::redacted_url("amqp://u:secret@h1:1,h2:2/v") == "amqp://u:***@h1:1,h2:2/v");
}
