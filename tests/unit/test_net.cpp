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
