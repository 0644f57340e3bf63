#include "snet/status.hpp"

#include <nlohmann/json.hpp>

#include "snet/clock.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet {

Message status_will(const std::string& topology, const std::string& service) {
  ServiceStatus offline{service, false, 0, "{}"};
  return Message{topics::make(topology, topics::Kind::status, service), to_json(offline), true, {}};
}

StatusReporter::StatusReporter(Bus& bus, std::string topology, std::string service,
                               const Metrics& metrics, std::chrono::milliseconds interval)
    : bus_(bus),
      topology_(std::move(topology)),
      service_(std::move(service)),
      metrics_(metrics),
      interval_(interval) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      publish(true);
      lock.lock();
      cv_.wait_for(lock, interval_, [this] { return stopping_; });
    }
  });
}

StatusReporter::~StatusReporter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  publish(false);
}

void StatusReporter::publish_now() { publish(true); }

void StatusReporter::publish(bool online) {
  ServiceStatus status{service_, online, now_us(), metrics_.snapshot().dump()};
  bus_.publish(Message{topics::make(topology_, topics::Kind::status, service_), to_json(status),
                       true, {}},
               Qos::at_least_once);
}

}  // namespace snet
