#include "emulated_network.hpp"

#include <stdexcept>

#include "capabilities.hpp"
#include "kernel_shaper.hpp"
#include "link_applier.hpp"
#include "namespace_builder.hpp"
#include "snet/log.hpp"
#include "snet/socket_placement.hpp"

namespace snet::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// The first /16 of 10.213-10.250 no route of this machine touches.
kernel::Ipv4Net free_subnet() {
  for (int second = 213; second <= 250; ++second) {
    const auto candidate = kernel::parse_ipv4_net("10." + std::to_string(second) + ".0.0/16");
    if (kernel::routes_overlapping(candidate).empty()) return candidate;
  }
  throw std::runtime_error(
      "no free /16 in 10.213.0.0-10.250.255.255 for the emulated sites: give --links-subnet");
}

}  // namespace

EmulatedNetwork::EmulatedNetwork(const Topology& topology, kernel::LinksMode mode,
                                 const std::string& subnet, const std::string& data_dir)
    : emulated_(topology.emulates_network()) {
  if (!emulated_) return;  // no sites, no links: nothing to emulate
  const bool may_use_kernel =
      mode == kernel::LinksMode::kernel || mode == kernel::LinksMode::automatic;
  engines_ = kernel::plan_engines(
      mode, may_use_kernel ? kernel::detect_capabilities() : kernel::KernelCapabilities{});
  log::info("links: ", engines_.summary());
  for (const auto& note : engines_.notes) log::debug("links: ", note);
  if (!engines_.namespaces) return;

  kernel::InstanceLock lock;  // against a concurrent snet up picking the same subnet
  for (const auto& hash : kernel::remove_dead_instances()) {
    log::info("links: removed the namespaces of a stopped run (", hash, ")");
  }
  const std::string key = topology.name + "|" + data_dir;
  const std::string hash = kernel::instance_hash(key);
  // Ours from a crashed run: gone before the subnet is checked.
  kernel::teardown_namespaces("snet-" + hash + "-", "sn" + hash + "-");
  kernel::Ipv4Net pool;
  if (subnet.empty()) {
    pool = free_subnet();
  } else {
    try {
      pool = kernel::parse_ipv4_net(subnet);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("--links-subnet: ") + e.what());
    }
    if (const auto used = kernel::routes_overlapping(pool); !used.empty()) {
      throw std::runtime_error("--links-subnet " + pool.str() +
                               " overlaps routes of this machine (" + used.front() +
                               "): choose another");
    }
  }
  try {
    plan_ = std::make_unique<kernel::AddressPlan>(kernel::plan_addresses(topology, key, pool));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  kernel::claim_instance(plan_->hash);
  try {
    kernel::build_namespaces(*plan_);
  } catch (...) {
    kernel::release_instance(plan_->hash);
    throw;
  }
  log::info("links: built ", plan_->sites.size(), " site namespaces (", plan_->netns_prefix,
            "*) in ", pool.str(), "; the core is ", plan_->core_address.str());
  shaper_ = std::make_unique<kernel::KernelShaper>(*plan_, engines_.kernel);
  for (const auto& error : shaper_->apply_all(topology.links())) log::warn("links: ", error);

  DevicePlacements placements;
  placements.broker_host = plan_->core_address.str();
  for (const auto& [id, device] : plan_->devices) {
    placements.devices[id] = {
        kernel::AddressPlan::netns_path(plan_->sites[static_cast<std::size_t>(device.site)].netns),
        device.address.str()};
  }
  placement_path_ = data_dir + "/links-placement.json";
  write_device_placements(placement_path_, placements);
}

EmulatedNetwork::~EmulatedNetwork() {
  applier_.reset();
  if (!plan_) return;
  const auto left = kernel::teardown_namespaces(plan_->netns_prefix, plan_->link_prefix);
  if (left.empty()) {
    kernel::release_instance(plan_->hash);
    log::info("links: removed the site namespaces");
  } else {
    log::warn("links: could not remove ", join(left), " (the next snet up retries)");
  }
}

std::string EmulatedNetwork::core_address() const {
  return plan_ ? plan_->core_address.str() : "";
}

std::vector<std::string> EmulatedNetwork::agent_args() const {
  if (!emulated_) return {};
  std::vector<std::string> args = {"--link-properties", join(engines_.process)};
  if (!placement_path_.empty()) args.insert(args.end(), {"--link-placement", placement_path_});
  return args;
}

void EmulatedNetwork::stop_applier() {
  if (applier_) applier_->stop();
}

void EmulatedNetwork::start_applier(const BusOptions& options, const std::string& topology_name) {
  if (!shaper_) return;
  applier_ =
      std::make_unique<kernel::KernelLinkApplier>(*shaper_, engines_.notes, topology_name, options);
  applier_->start();
}

}  // namespace snet::cli
