// The emulated network part of the topology model: sites, their parents, devices' sites and the
// links they make (see topology/README.md, "Sites and links").
#include <set>

#include "topology_internal.hpp"

namespace snet {

namespace detail {

void validate_sites(const Topology& topo, const std::map<std::string, const Device*>& by_id,
                    std::vector<std::string>& errors) {
  std::map<std::string, const Site*> sites;
  for (const auto& site : topo.sites) {
    const std::string where = "site '" + site.id + "'";
    if (!is_valid_name(site.id)) {
      errors.push_back(where + ": id must be 1-64 letters, digits, '-' or '_'");
    }
    if (by_id.count(site.id) != 0) {
      errors.push_back(where +
                       ": a device has the same id (sites and devices share one name space: "
                       "both are links)");
    }
    if (!sites.emplace(site.id, &site).second) errors.push_back(where + ": duplicate id");
  }
  for (const auto& site : topo.sites) {
    if (site.parent.empty()) continue;
    const std::string where = "site '" + site.id + "'";
    if (sites.count(site.parent) == 0) {
      errors.push_back(where + ": parent '" + site.parent + "' is not a site of this topology");
      continue;
    }
    // Walk up: a cycle or a chain deeper than kMaxSiteDepth is an error.
    std::set<std::string> seen{site.id};
    const Site* at = &site;
    int depth = 1;
    while (!at->parent.empty()) {
      auto it = sites.find(at->parent);
      if (it == sites.end()) break;  // reported for that site
      if (!seen.insert(it->first).second) {
        errors.push_back(where + ": parents form a cycle through '" + it->first + "'");
        break;
      }
      at = it->second;
      if (++depth > Topology::kMaxSiteDepth) {
        errors.push_back(where + ": sites nest deeper than " +
                         std::to_string(Topology::kMaxSiteDepth) + " levels");
        break;
      }
    }
  }
  for (const auto& site : topo.sites) {
    if (site.broker == Site::Broker::local && topo.broker != BrokerKind::mosquitto) {
      errors.push_back("site '" + site.id +
                       "': \"broker\": \"local\" needs a Mosquitto core (\"broker\": "
                       "\"mosquitto\"); a RabbitMQ core is not bridged");
    }
  }
  for (const auto& d : topo.devices) {
    if (!d.site.empty() && sites.count(d.site) == 0) {
      errors.push_back("device '" + d.id + "': site '" + d.site +
                       "' is not one of the topology's sites");
    }
  }
}

}  // namespace detail

const Site* Topology::find_site(std::string_view id) const {
  auto it = site_index_.find(id);
  return it == site_index_.end() ? nullptr : &sites[it->second];
}

bool Topology::emulates_network() const {
  if (!sites.empty()) return true;
  for (const auto& d : devices)
    if (d.link) return true;
  return false;
}

std::vector<std::string> Topology::link_path(const Device& device) const {
  std::vector<std::string> path;
  if (!emulates_network()) return path;
  path.push_back(device.id);
  const Site* site = device.site.empty() ? nullptr : find_site(device.site);
  for (int depth = 0; site != nullptr && depth < kMaxSiteDepth; ++depth) {
    path.push_back(site->id);
    site = site->parent.empty() ? nullptr : find_site(site->parent);
  }
  return path;
}

std::map<std::string, LinkSpec> Topology::links() const {
  std::map<std::string, LinkSpec> out;
  if (!emulates_network()) return out;
  for (const auto& site : sites) out.emplace(site.id, site.link);
  for (const auto& d : devices) out.emplace(d.id, d.link.value_or(LinkSpec{}));
  return out;
}

std::string Topology::broker_site(const Device& device) const {
  const Site* site = device.site.empty() ? nullptr : find_site(device.site);
  for (int depth = 0; site != nullptr && depth < kMaxSiteDepth; ++depth) {
    if (site->broker == Site::Broker::local) return site->id;
    site = site->parent.empty() ? nullptr : find_site(site->parent);
  }
  return "";
}

std::vector<const Site*> Topology::local_broker_sites() const {
  std::vector<const Site*> out;
  for (const auto& site : sites)
    if (site.broker == Site::Broker::local) out.push_back(&site);
  return out;
}

std::vector<const Device*> Topology::devices_in(std::string_view site) const {
  std::vector<const Device*> out;
  for (const auto& d : devices)
    if (d.site == site) out.push_back(&d);
  return out;
}

}  // namespace snet
