// What snet-agent's main() puts together around an Agent: its flags, which devices it hosts and
// where each connects (through the emulated network's relay, from a placed socket, or straight
// to the broker), the control topics it serves (faults, link changes) and its link reports.
// Thread safety: set up from one thread; the control handler runs on the status bus's thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent.hpp"
#include "agent_metrics.hpp"
#include "device_links.hpp"
#include "snet/bus.hpp"
#include "snet/flags.hpp"
#include "snet/link_report_publisher.hpp"
#include "snet/socket_placement.hpp"
#include "snet/topology.hpp"

namespace snet::agents {

void add_agent_flags(Flags& flags);

/// The devices an agent hosts and how they reach the broker.
struct AgentSetup {
  std::vector<const Device*> devices;
  AgentOptions options;
  std::unique_ptr<DeviceLinks> links;  // the emulated network's relay (maybe inactive)
};

/// Reads the flags, selects the devices and opens the relay. Throws snet::UsageError for what
/// the flags say wrong (devices, URLs that cannot carry them, a placement file), other
/// exceptions when the relay cannot listen.
AgentSetup set_up_agent(const Flags& flags, const Topology& topology,
                        const std::string& broker_url);

/// Warns when the open-file limit (raised as far as it goes) is below what the devices need.
void check_open_files(const AgentSetup& setup);

/// set_up_agent() into `setup`, check_open_files(), and the Agent of its devices; then frees
/// `whole`, which only starting needs (each device keeps what it needs): a shard's agent of a
/// large topology keeps only its own devices (campus: ~16 MB less in each of its 4 agents).
/// `setup.devices` is emptied (it pointed into the topology). Throws as set_up_agent().
std::unique_ptr<Agent> make_agent(const Flags& flags, Topology whole, const std::string& broker_url,
                                  AgentSetup& setup, AgentMetrics& metrics);

/// Serves the control topics of topology `topology_name` on `bus` (subscribed here, before
/// bus.start()): device faults go to `agent`, link updates to `setup.links`; malformed ones are
/// counted and logged.
void serve_control(Bus& bus, const std::string& topology_name, Agent& agent, AgentSetup& setup,
                   AgentMetrics& metrics);

/// Publishes the links' reports (retained) and clears them again when the agent stops.
class LinkReports {
 public:
  LinkReports(Bus& bus, std::string topology, std::string reporter, const DeviceLinks& links)
      : publisher_(bus, std::move(topology)), reporter_(std::move(reporter)), links_(links) {}
  /// Stopped on purpose: its links are no longer shaped here, so no report stays behind.
  ~LinkReports();
  LinkReports(const LinkReports&) = delete;
  LinkReports& operator=(const LinkReports&) = delete;
  void publish();

 private:
  LinkReportPublisher publisher_;
  std::string reporter_;
  const DeviceLinks& links_;
};

}  // namespace snet::agents
