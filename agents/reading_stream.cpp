#include "reading_stream.hpp"

#include "snet/topics.hpp"

namespace snet::agents {

ReadingStream::ReadingStream(const std::string& topology, const std::string& device,
                             std::string capability, std::string unit, int qos)
    : qos_(qos == 1 ? Qos::at_least_once : Qos::at_most_once),
      topic_(topics::make(topology, topics::Kind::reading, device)) {
  reading_.device = device;
  reading_.capability = std::move(capability);
  reading_.unit = std::move(unit);
}

void ReadingStream::publish(Bus& bus, AgentMetrics& metrics, double value) {
  reading_.value = value;
  reading_.seq = seq_.load(std::memory_order_relaxed) + 1;
  reading_.ts = now_us();
  bus.publish(Message{topic_, to_json(reading_), false, {}}, qos_);
  seq_.store(reading_.seq, std::memory_order_relaxed);
  metrics.readings.add();
}

}  // namespace snet::agents
