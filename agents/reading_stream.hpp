// One device's stream of readings on snet/<topology>/reading/<id> (not retained, at the
// device's QoS): the device, capability and unit fixed, seq counting the readings published
// from 1, ts when each was taken. Shared by sensors and composite devices.
// Thread safety: publish() from one thread at a time (the agent's loop); published() from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "agent_metrics.hpp"
#include "snet/bus.hpp"
#include "snet/message.hpp"

namespace snet::agents {

class ReadingStream {
 public:
  /// `qos`: 0 or 1, as the topology says.
  ReadingStream(const std::string& topology, const std::string& device, std::string capability,
                std::string unit, int qos);
  /// Publishes `value` as the next reading, stamped now, and counts it.
  void publish(Bus& bus, AgentMetrics& metrics, double value);
  std::uint64_t published() const { return seq_.load(std::memory_order_relaxed); }

 private:
  Qos qos_;
  std::string topic_;
  Reading reading_;  // device, capability and unit filled once
  std::atomic<std::uint64_t> seq_{0};
};

}  // namespace snet::agents
