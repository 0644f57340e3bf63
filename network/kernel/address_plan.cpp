#include "address_plan.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace snet::kernel {
namespace {

// Smallest power-of-two block (at least 4) holding `hosts` addresses besides network and
// broadcast.
std::uint32_t block_for(std::size_t hosts) {
  std::uint32_t size = 4;
  while (size < hosts + 2) size <<= 1;
  return size;
}

int prefix_of(std::uint32_t block) {
  int prefix = 32;
  while (block > 1) {
    block >>= 1;
    --prefix;
  }
  return prefix;
}

// Site indices in an order where every parent comes before its children.
std::vector<std::size_t> parents_first(const Topology& topology) {
  std::vector<std::size_t> order;
  std::vector<bool> placed(topology.sites.size(), false);
  std::vector<std::string> done = {""};
  while (order.size() < topology.sites.size()) {
    const std::size_t before = order.size();
    for (std::size_t i = 0; i < topology.sites.size(); ++i) {
      if (placed[i]) continue;
      const auto& parent = topology.sites[i].parent;
      if (std::find(done.begin(), done.end(), parent) == done.end()) continue;
      placed[i] = true;
      order.push_back(i);
      done.push_back(topology.sites[i].id);
    }
    if (order.size() == before) throw std::invalid_argument("the sites' parents form a cycle");
  }
  return order;
}

}  // namespace

int AddressPlan::site_index(const std::string& site) const {
  for (std::size_t i = 0; i < sites.size(); ++i) {
    if (sites[i].site == site) return static_cast<int>(i);
  }
  return -1;
}

std::string instance_hash(const std::string& instance_key) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : instance_key) hash = (hash ^ c) * 1099511628211ull;
  char text[16];
  std::snprintf(text, sizeof text, "%06x", static_cast<unsigned>(hash & 0xffffff));
  return text;
}

AddressPlan plan_addresses(const Topology& topology, const std::string& instance_key,
                           const Ipv4Net& pool) {
  AddressPlan plan;
  plan.hash = instance_hash(instance_key);
  plan.netns_prefix = "snet-" + plan.hash + "-";
  plan.link_prefix = "sn" + plan.hash + "-";
  plan.bridge = plan.link_prefix + "br";
  plan.pool = pool;

  // The core site first (when some device has no site), then the sites, parents first.
  bool any_siteless = false;
  for (const auto& device : topology.devices) any_siteless |= device.site.empty();
  if (any_siteless) {
    SitePlan core;
    core.number = 0;
    plan.sites.push_back(core);
  }
  for (const std::size_t i : parents_first(topology)) {
    SitePlan site;
    site.site = topology.sites[i].id;
    site.number = static_cast<int>(i) + 1;
    site.parent = topology.sites[i].parent.empty() ? -1 : plan.site_index(topology.sites[i].parent);
    plan.sites.push_back(site);
  }
  for (auto& site : plan.sites) {
    site.netns = plan.netns_prefix + std::to_string(site.number);
    site.outer_if = plan.link_prefix + std::to_string(site.number);
    for (const Device* device : topology.devices_in(site.site)) site.devices.push_back(device->id);
  }
  // How many addresses each segment needs: the root's (its bridge and the top-level uplinks),
  // and each site's (gateway, child uplinks, devices).
  std::vector<std::size_t> children(plan.sites.size(), 0);
  std::size_t top_level = 0;
  for (auto& site : plan.sites) {
    if (site.parent < 0) {
      ++top_level;
    } else {
      ++children[static_cast<std::size_t>(site.parent)];
      plan.sites[static_cast<std::size_t>(site.parent)].has_children = true;
    }
  }
  std::uint64_t cursor = pool.base.value;
  const std::uint64_t pool_end = pool.base.value + pool.size();
  std::uint64_t needed = 0;
  auto allocate = [&](std::size_t hosts) {
    const std::uint32_t block = block_for(hosts);
    cursor = (cursor + block - 1) / block * block;
    const Ipv4Net net{{static_cast<std::uint32_t>(cursor)}, prefix_of(block)};
    cursor += block;
    needed += block;
    return net;
  };
  plan.core_subnet = allocate(1 + top_level);
  plan.core_address = plan.core_subnet.at(1);
  for (std::size_t i = 0; i < plan.sites.size(); ++i) {
    auto& site = plan.sites[i];
    site.subnet = allocate(1 + children[i] + site.devices.size());
    site.gateway = site.subnet.at(1);
  }
  if (cursor > pool_end) {
    throw std::invalid_argument("the links subnet " + pool.str() +
                                " is too small: the topology's " +
                                std::to_string(plan.sites.size()) + " site namespaces and " +
                                std::to_string(topology.devices.size()) + " devices need " +
                                std::to_string(needed) + " addresses");
  }
  // Uplink addresses (after each parent's gateway), then the devices' (after the uplinks).
  std::vector<std::uint32_t> next(plan.sites.size(), 2);
  std::uint32_t next_root = 2;
  for (auto& site : plan.sites) {
    if (site.parent < 0) {
      site.uplink_address = plan.core_subnet.at(next_root++);
      site.parent_gateway = plan.core_address;
    } else {
      auto& parent = plan.sites[static_cast<std::size_t>(site.parent)];
      site.uplink_address = parent.subnet.at(next[static_cast<std::size_t>(site.parent)]++);
      site.parent_gateway = parent.gateway;
    }
  }
  for (std::size_t i = 0; i < plan.sites.size(); ++i) {
    for (const auto& device : plan.sites[i].devices) {
      plan.devices[device] = {static_cast<int>(i), plan.sites[i].subnet.at(next[i]++)};
    }
  }
  return plan;
}

std::map<int, std::vector<SubnetRoute>> plan_routes(const AddressPlan& plan) {
  std::map<int, std::vector<SubnetRoute>> routes;
  for (const auto& site : plan.sites) {
    // Every ancestor a of `site` (itself first) is reached from a's parent via a's uplink.
    const SitePlan* hop = &site;
    while (true) {
      routes[hop->parent].push_back({site.subnet, hop->uplink_address});
      if (hop->parent < 0) break;
      hop = &plan.sites[static_cast<std::size_t>(hop->parent)];
    }
  }
  return routes;
}

}  // namespace snet::kernel
