#include "ipv4.hpp"

#include <charconv>
#include <stdexcept>

namespace snet::kernel {
namespace {

std::uint32_t mask_of(int prefix) {
  return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
}

}  // namespace

std::string Ipv4::str() const {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 255) + "." +
         std::to_string((value >> 8) & 255) + "." + std::to_string(value & 255);
}

bool Ipv4Net::contains(Ipv4 address) const {
  return (address.value & mask_of(prefix)) == base.value;
}

bool Ipv4Net::overlaps(const Ipv4Net& other) const {
  return contains(other.base) || other.contains(base);
}

std::string Ipv4Net::str() const {
  return base.str() + "/" + std::to_string(prefix);
}

Ipv4 parse_ipv4(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::uint32_t value = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (p == end || *p != '.') throw std::invalid_argument(quoted + " is not an IPv4 address");
      ++p;
    }
    unsigned octet = 256;
    const auto [next, error] = std::from_chars(p, end, octet);
    if (error != std::errc() || next == p || octet > 255) {
      throw std::invalid_argument(quoted + " is not an IPv4 address");
    }
    value = (value << 8) | octet;
    p = next;
  }
  if (p != end) throw std::invalid_argument(quoted + " is not an IPv4 address");
  return {value};
}

Ipv4Net parse_ipv4_net(std::string_view text) {
  const auto slash = text.find('/');
  Ipv4Net net;
  net.base = parse_ipv4(text.substr(0, slash));
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    int prefix = -1;
    const auto [next, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (error != std::errc() || next != digits.data() + digits.size() || prefix < 0 ||
        prefix > 32) {
      throw std::invalid_argument("'" + std::string(text) + "': the prefix length must be 0-32");
    }
    net.prefix = prefix;
  }
  net.base.value &= mask_of(net.prefix);
  return net;
}

}  // namespace snet::kernel
