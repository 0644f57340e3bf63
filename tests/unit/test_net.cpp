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
