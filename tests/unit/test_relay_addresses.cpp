// Where the process engine's relay listens (network/relay_addresses.hpp): each path its own
// loopback address, each agent shard its own block, never 127.0.0.0/16.
#include <doctest/doctest.h>

#include <stdexcept>

#include <boost/asio/ip/address.hpp>

#include "relay_addresses.hpp"

using namespace snet::network;
using boost::asio::ip::address_v4;
using boost::asio::ip::make_address;

TEST_CASE("relay addresses: each shard starts a /16 of its own from 127.64.0.1") {
  CHECK(relay_first_address(0).to_string() == "127.64.0.1");
  CHECK(relay_first_address(1).to_string() == "127.65.0.1");
  CHECK(relay_first_address(63).to_string() == "127.127.0.1");
  CHECK_THROWS_AS(relay_first_address(64), std::out_of_range);
  CHECK_THROWS_AS(relay_first_address(-1), std::out_of_range);
}

TEST_CASE("relay addresses: paths count on from the first, across octets") {
  const address_v4 first = relay_first_address(2);
  CHECK(relay_address(first, 0).to_string() == "127.66.0.1");
  CHECK(relay_address(first, 254).to_string() == "127.66.0.255");
  CHECK(relay_address(first, 255).to_string() == "127.66.1.0");
  CHECK(relay_address(first, 14'999).to_string() == "127.66.58.152");
  for (std::size_t i : {0UL, 1'000UL, 65'533UL}) CHECK(relay_address(first, i).is_loopback());
}

TEST_CASE("relay addresses: none past 127.255.255.254 or below 127.64.0.1") {
  const address_v4 last_shard = relay_first_address(63);
  const std::size_t room = kRelayLastAddress - last_shard.to_uint();
  CHECK(relay_address(last_shard, room).to_string() == "127.255.255.254");
  CHECK_THROWS_WITH_AS(relay_address(last_shard, room + 1),
                       doctest::Contains("past the loopback addresses"), std::out_of_range);
  CHECK_THROWS_AS(relay_address(address_v4::loopback(), 0), std::out_of_range);
}

TEST_CASE("relay addresses: connections leave from the path's address only to IPv4 loopback") {
  CHECK(spreads_sources_to(make_address("127.0.0.1")));
  CHECK(spreads_sources_to(make_address("127.9.9.9")));
  CHECK_FALSE(spreads_sources_to(make_address("::1")));
  CHECK_FALSE(spreads_sources_to(make_address("10.213.0.1")));
}
