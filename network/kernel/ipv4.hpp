// IPv4 addresses and subnets for the kernel link engine's address plan (plain values).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace snet::kernel {

struct Ipv4 {
  std::uint32_t value = 0;  // host byte order
  std::string str() const;
  bool operator==(const Ipv4&) const = default;
  auto operator<=>(const Ipv4&) const = default;
};

struct Ipv4Net {
  Ipv4 base;
  int prefix = 32;
  std::uint64_t size() const { return std::uint64_t{1} << (32 - prefix); }
  Ipv4 at(std::uint32_t offset) const { return {base.value + offset}; }
  bool contains(Ipv4 address) const;
  bool overlaps(const Ipv4Net& other) const;
  /// "10.213.4.0/24"
  std::string str() const;
  bool operator==(const Ipv4Net&) const = default;
};

/// "10.1.2.3"; throws std::invalid_argument naming the text when it is not one.
Ipv4 parse_ipv4(std::string_view text);
/// "10.213.0.0/16" (a bare address is a /32); the base is masked. Throws std::invalid_argument.
Ipv4Net parse_ipv4_net(std::string_view text);

}  // namespace snet::kernel
