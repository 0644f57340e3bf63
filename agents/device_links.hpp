// The agent's side of the emulated network's process engine: when the topology emulates the
// network and the engine carries at least one property (--link-properties), every hosted
// device's broker connection goes through a network::ShapingRelay listener that applies the
// links of its path (Topology::link_path). Specs start as the topology file says; each
// LinkUpdate on snet/<topology>/control/links/<link> (retained, so a restarted agent re-applies
// it) replaces one; reports() say what is applied and the traffic, as LinkReports.
// Thread safety: apply() and reports() may be called from any thread (the relay serializes).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "device_selection.hpp"
#include "shaping_relay.hpp"
#include "snet/bus.hpp"
#include "snet/link.hpp"
#include "snet/socket_placement.hpp"
#include "snet/topology.hpp"

namespace snet::agents {

/// --link-properties default: every property the process engine can apply.
inline constexpr std::string_view kAllLinkProperties = "latency_ms,jitter_ms,loss_pct,rate_kbit,up";

/// Parses a comma-separated list of link properties (of kLinkFields, not "seed"); empty: none.
/// Throws snet::UsageError naming an unknown one.
std::vector<std::string> parse_link_properties(std::string_view list);

/// Only the fields of `spec` listed in `properties` (and its seed): what this engine applies.
LinkSpec restrict_to(const LinkSpec& spec, const std::vector<std::string>& properties);

/// `url` with every host replaced (scheme, credentials, ports and path kept): a cluster's nodes
/// on one machine stay apart by their ports.
std::string with_host(const std::string& url, const std::string& host);

/// The kernel link engine's placements for the process engine's relay: each device's upstream
/// socket is made in its site's namespace from its own address (others: a plain socket).
network::UpstreamSocketFactory placed_upstream_sockets(DevicePlacements placements);

/// `url` with its host and port replaced (scheme, credentials and path kept).
std::string with_host_port(const std::string& url, const std::string& host, int port);

class DeviceLinks {
 public:
  /// `urls`: where each protocol's devices connect without emulation. Throws
  /// std::invalid_argument when a broker host cannot be resolved, std::system_error when a
  /// listener cannot be opened.
  DeviceLinks(const Topology& topology, const std::vector<const Device*>& devices,
              const DeviceUrls& urls, std::vector<std::string> properties,
              network::RelayOptions relay_options = {});
  ~DeviceLinks();

  /// Whether devices go through the relay.
  bool active() const { return relay_ != nullptr; }
  /// Device id -> the URL it connects to instead of its broker's (empty when not active), moved
  /// out: the agent keeps one copy, only until its devices are made.
  std::map<std::string, std::string> take_device_urls() { return std::exchange(device_urls_, {}); }

  /// Applies a LinkUpdate received on a link control topic. An empty payload (a retained update
  /// being cleared) and a link no hosted device crosses are ignored. Throws BadMessage: a malformed
  /// update, one whose link is not the topic's, or a link the topology does not have. Returns
  /// whether the relay applied it.
  bool apply(const Message& message);
  /// What this engine applies to each link its devices cross, and the traffic, as
  /// split_link_report() parts of `reporter`'s report (none without links).
  std::vector<LinkReport> reports(const std::string& reporter) const;

 private:
  std::string topology_;
  std::vector<std::string> properties_;
  std::vector<std::string> links_;    // every link of the topology, sorted (unknown-link checks)
  std::vector<std::string> crossed_;  // links on the hosted devices' paths
  std::map<std::string, std::string> device_urls_;
  std::unique_ptr<network::ShapingRelay> relay_;
};

}  // namespace snet::agents
