#include "hosts.hpp"

#include <unistd.h>
#include <atomic>
#include <stdexcept>

#include "namespace_builder.hpp"
#include "snet/topology.hpp"

namespace snet::test {
namespace {

// The first /24 of 10.250.0.0/16 that no route of the root namespace overlaps (the link
// engine's default pools start at 10.213 and go up, so they meet this one last).
kernel::Ipv4Net free_pool() {
  for (std::uint32_t third = 0; third < 256; ++third) {
    const kernel::Ipv4Net pool{{(10u << 24) | (250u << 16) | (third << 8)}, 24};
    if (kernel::routes_overlapping(pool).empty()) return pool;
  }
  throw std::runtime_error("no free /24 in 10.250.0.0/16 for the emulated hosts");
}

}  // namespace

EmulatedHosts::EmulatedHosts(int count) {
  if (count < 1 || count > 64) throw std::invalid_argument("EmulatedHosts: 1 to 64 hosts");
  // One top-level site per host, no devices: the plan then holds just the bridge with the core
  // address, one namespace per host with its uplink address, and default routes to the core.
  Topology topology;
  topology.name = "hosts";
  for (int i = 1; i <= count; ++i) {
    Site site;
    site.id = "host-" + std::to_string(i);
    topology.sites.push_back(site);
  }
  static std::atomic<int> instances{0};
  const std::string key =
      "emulated-hosts-" + std::to_string(::getpid()) + "-" + std::to_string(instances++);
  const kernel::InstanceLock lock;  // against a concurrent snet up choosing the same subnet
  kernel::remove_dead_instances();
  plan_ = kernel::plan_addresses(topology, key, free_pool());
  kernel::claim_instance(plan_.hash);
  try {
    kernel::build_namespaces(plan_);
  } catch (...) {
    kernel::release_instance(plan_.hash);
    throw;
  }
}

std::string EmulatedHosts::address(int i) const {
  return plan_.sites.at(static_cast<std::size_t>(i)).uplink_address.str();
}

std::string EmulatedHosts::netns(int i) const {
  return plan_.sites.at(static_cast<std::size_t>(i)).netns;
}

std::vector<std::string> EmulatedHosts::in_host(int i, std::vector<std::string> argv) const {
  argv.insert(argv.begin(), {"ip", "netns", "exec", netns(i)});
  return argv;
}

std::vector<std::string> EmulatedHosts::existing() const {
  auto found = kernel::namespaces_with_prefix(plan_.netns_prefix);
  for (auto& link : kernel::links_with_prefix(plan_.link_prefix)) found.push_back(link);
  return found;
}

std::vector<std::string> EmulatedHosts::teardown() {
  if (torn_down_) return existing();
  auto left = kernel::teardown_namespaces(plan_.netns_prefix, plan_.link_prefix);
  if (left.empty()) {
    kernel::release_instance(plan_.hash);
    torn_down_ = true;
  }
  return left;
}

}  // namespace snet::test
