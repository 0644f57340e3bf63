// `snet up --links kernel|process|auto|off`: decides which engine carries which link property
// (network/kernel/engine_plan.hpp, after trying what this kernel offers) and, when the kernel
// engine runs, builds the sites' namespaces before the broker starts (removing what a crashed
// run left), applies the topology's links, and tears everything down when destroyed, however
// `snet up` ends (the destructor runs on every return path; a SIGKILLed run's namespaces are
// removed by the next start). At run time its applier follows LinkUpdates and publishes the
// kernel engine's LinkReport.
// Thread safety: one thread (snet up's main thread).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "address_plan.hpp"
#include "engine_plan.hpp"
#include "snet/bus.hpp"
#include "snet/topology.hpp"

namespace snet::kernel {
class KernelShaper;
class KernelLinkApplier;
}  // namespace snet::kernel

namespace snet::cli {

class EmulatedNetwork {
 public:
  /// `subnet`: where the sites' addresses come from ("": the first free /16 of 10.213-10.250).
  /// Throws std::runtime_error saying why (--links kernel without root, a subnet in use, a
  /// failed command).
  EmulatedNetwork(const Topology& topology, kernel::LinksMode mode, const std::string& subnet,
                  const std::string& data_dir);
  ~EmulatedNetwork();
  EmulatedNetwork(const EmulatedNetwork&) = delete;
  EmulatedNetwork& operator=(const EmulatedNetwork&) = delete;

  const kernel::EnginePlan& engines() const { return engines_; }
  /// Whether the kernel engine built namespaces (devices have their own addresses).
  bool kernel() const { return shaper_ != nullptr; }
  /// The agents' process engine shapes some property: each device then connects through a
  /// loopback relay (a listener and two more sockets per device).
  bool relays() const { return emulated_ && !engines_.process.empty(); }
  /// The root bridge's address, where the broker must listen too ("" without the kernel engine).
  std::string core_address() const;
  /// What snet-agent needs to know: the properties its process engine carries
  /// (--link-properties) and where its devices' sockets go (--link-placement).
  std::vector<std::string> agent_args() const;
  /// Starts following LinkUpdates and publishing the kernel LinkReport (after the broker runs).
  void start_applier(const BusOptions& options, const std::string& topology_name);
  /// Stops it, clearing its reports: call while the broker still runs.
  void stop_applier();

 private:
  bool emulated_ = false;
  kernel::EnginePlan engines_;
  std::unique_ptr<kernel::AddressPlan> plan_;
  std::string placement_path_;
  std::unique_ptr<kernel::KernelShaper> shaper_;
  std::unique_ptr<kernel::KernelLinkApplier> applier_;
};

}  // namespace snet::cli
