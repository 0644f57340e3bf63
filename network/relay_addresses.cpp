#include "relay_addresses.hpp"

#include <stdexcept>
#include <string>

namespace snet::network {

boost::asio::ip::address_v4 relay_first_address(int shard) {
  if (shard < 0 || shard >= kRelayShards) {
    throw std::out_of_range("relay shard " + std::to_string(shard) + " is not in 0-" +
                            std::to_string(kRelayShards - 1));
  }
  return boost::asio::ip::address_v4(kRelayFirstAddress +
                                     (static_cast<std::uint32_t>(shard) << 16));
}

boost::asio::ip::address_v4 relay_address(boost::asio::ip::address_v4 first, std::size_t index) {
  const std::uint64_t address = std::uint64_t{first.to_uint()} + index;
  if (first.to_uint() < kRelayFirstAddress || address > kRelayLastAddress) {
    throw std::out_of_range("relay path " + std::to_string(index) + " from " + first.to_string() +
                            " is past the loopback addresses 127.64.0.1-127.255.255.254");
  }
  return boost::asio::ip::address_v4(static_cast<std::uint32_t>(address));
}

bool spreads_sources_to(const boost::asio::ip::address& broker) {
  return broker.is_v4() && broker.to_v4().is_loopback();
}

}  // namespace snet::network
