// Validation of everything the state service receives from the bus: state reports
// (snet/<t>/state/+), press errors (snet/<t>/event/+), service status (snet/<t>/status/+) and
// sensor readings (snet/<t>/reading/+, from any device of the topology).
// A message is either turned into a record or rejected with a reason (a BadMessage reason,
// or unknown_device / not_an_actuator / device_mismatch): counted in
// snet_state_rejected_total{reason} and logged with its topic (at most 20 lines a second; the
// rest are summarised), never thrown.
// Thread safety: none; one thread (the writer) classifies.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "snet/bus.hpp"
#include "snet/message.hpp"
#include "snet/topology.hpp"
#include "state_metrics.hpp"
#include "store.hpp"

namespace snet::state {

struct Classified {
  enum class Type {
    record,   // a state report or press error to store (`record`)
    reading,  // a sensor reading to store (`reading`)
    status,   // a service's status (`status`, `service`)
    forget,   // an empty retained status: the service is gone (`service`)
    ignored,  // nothing to do (e.g. an empty retained state clearing the topic)
    rejected,
  };
  Type type = Type::ignored;
  EventRecord record;
  ReadingRecord reading;
  ServiceStatus status;
  std::string service;
};

class Ingest {
 public:
  Ingest(const Topology& topology, StateMetrics& metrics);
  Classified classify(const Message& message);

 private:
  Classified reject(const Message& message, const std::string& reason, const std::string& why);
  Classified state_report(const Message& message, const std::string& device);
  Classified press_error(const Message& message, const std::string& device);
  Classified service_status(const Message& message, const std::string& service);
  Classified reading(const Message& message, const std::string& device);

  const Topology& topology_;
  StateMetrics& metrics_;
  std::chrono::steady_clock::time_point window_start_{};
  int logged_in_window_ = 0;
  std::int64_t suppressed_ = 0;
};

}  // namespace snet::state
