// Where the process engine's relay listens (pure). Linux routes all of 127.0.0.0/8 to the
// loopback device, and each address has its own port space for bind(), so the relay gives every
// device path its own address and all of its listeners one port: its 15,000 listeners then take
// one port of the kernel's ephemeral range, not 15,000 (a listener's port is bind()'s and no
// outgoing connection may take it, whatever its address). The devices' connections to their
// listeners go to as many destinations, so they share source ports; the relay's own connections
// to a loopback broker leave from the path's address (IP_BIND_ADDRESS_NO_PORT: the port is
// picked at connect() and shared, as the 4-tuples differ), so they take none of their own.
// Shard i of snet up's agents starts at 127.(64+i).0.1: addresses are distinct across the stack
// (the broker's log names the agent and device), and 127.0.0.0/16 (services, 127.0.0.53,
// Debian's 127.0.1.1) is left alone.
// Thread safety: plain functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>

namespace snet::network {

/// 127.64.0.1: the first address of shard 0.
inline constexpr std::uint32_t kRelayFirstAddress = 0x7f400001;
/// The last address a path may get (127.255.255.255 is loopback's broadcast).
inline constexpr std::uint32_t kRelayLastAddress = 0x7ffffffe;
/// Shards with addresses of their own (snet up runs at most 64 agents).
inline constexpr int kRelayShards = 64;

/// The first listen address of agent shard `shard` (0..63): 127.(64+shard).0.1. Throws
/// std::out_of_range for another shard.
boost::asio::ip::address_v4 relay_first_address(int shard);

/// The listen address of the `index`-th path of a relay starting at `first`. Throws
/// std::out_of_range past 127.255.255.254 (over 4 million paths from shard 0).
boost::asio::ip::address_v4 relay_address(boost::asio::ip::address_v4 first, std::size_t index);

/// Whether the relay's connections to `broker` may leave from the path's own address: a broker
/// on IPv4 loopback (another broker would see 127.x.y.z as a source it cannot answer).
bool spreads_sources_to(const boost::asio::ip::address& broker);

}  // namespace snet::network
