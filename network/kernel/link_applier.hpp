// The kernel engine at run time, inside `snet up`: applies the kernel properties of every
// LinkUpdate (snet/<topology>/control/links/+, retained, so the state at start is applied too)
// and publishes a LinkReport (engine and reporter "kernel", retained) every `report_every` with
// each link's counters and the engine plan's notes, split as split_link_report() does (reporters
// kernel, kernel.2...: one message of a campus's 15,000 links is past the broker's packet size,
// which closes the connection), and clears them when it stops (stop(): while the broker still
// runs). It records nothing itself (the control API records the fault events). Updates are
// applied on its own thread, in order; a bad one is logged and counted, never fatal.
// Thread safety: construct, start(), stop() and destroy from one thread; stop() may be repeated
// (a stopped applier does not start again).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kernel_shaper.hpp"
#include "snet/bus.hpp"
#include "snet/link_report_publisher.hpp"

namespace snet::kernel {

class KernelLinkApplier {
 public:
  KernelLinkApplier(KernelShaper& shaper, std::vector<std::string> notes, std::string topology,
                    BusOptions bus_options,
                    std::chrono::milliseconds report_every = std::chrono::seconds(2));
  ~KernelLinkApplier();
  KernelLinkApplier(const KernelLinkApplier&) = delete;
  KernelLinkApplier& operator=(const KernelLinkApplier&) = delete;

  /// Subscribes and starts the applying thread. Throws when the bus cannot be made.
  void start();
  /// Stops the thread, clears the reports and disconnects (also done when destroyed).
  void stop();
  std::uint64_t applied() const { return applied_; }
  std::uint64_t rejected() const { return rejected_; }

 private:
  void run();
  void handle(const Message& message);
  void publish_report();

  KernelShaper& shaper_;
  std::vector<std::string> notes_;
  std::string topology_;
  BusOptions bus_options_;
  std::chrono::milliseconds report_every_;
  std::unique_ptr<Bus> bus_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Message> inbox_;
  bool stopping_ = false;
  std::optional<LinkReportPublisher> reports_;  // the thread's until it is joined
  std::atomic<std::uint64_t> applied_{0}, rejected_{0};
  std::thread thread_;
};

}  // namespace snet::kernel
