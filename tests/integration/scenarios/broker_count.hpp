// The scenario tests' independent count: distinct (actuator, press id) pairs of one run that
// actuators reported applied, seen on the broker through the test's own client. A persistent
// session: a broker restart or a reconnect loses none of the reports.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "snet/bus.hpp"
#include "snet/bus_loop.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet::test {

class BrokerCount {
 public:
  BrokerCount(const std::string& url, const std::string& topology, std::string prefix)
      : prefix_(std::move(prefix)) {
    BusOptions options;
    options.url = url;
    options.persistent_session = true;
    options.client_id = "scenario-test-count";
    bus_ = loop_.make_bus(options);
    bus_->on_message([this](const Message& m) {
      try {
        const StateReport state = parse_state(m.payload);
        if (state.press_id.rfind(prefix_, 0) != 0) return;
        std::lock_guard lock(mutex_);
        applied_.insert(state.device + "/" + state.press_id);
      } catch (const BadMessage&) {
        // not a state report: the state service counts bad ones
      }
    });
    bus_->subscribe(topics::all(topology, topics::Kind::state), Qos::at_least_once);
    bus_->start();
    REQUIRE(bus_->wait_connected(std::chrono::seconds(30)));
  }
  ~BrokerCount() { bus_->stop(); }
  BrokerCount(const BrokerCount&) = delete;
  BrokerCount& operator=(const BrokerCount&) = delete;

  std::size_t applied() {
    std::lock_guard lock(mutex_);
    return applied_.size();
  }

 private:
  std::string prefix_;
  BusLoop loop_;
  std::unique_ptr<Bus> bus_;
  std::mutex mutex_;
  std::set<std::string> applied_;
};

}  // namespace snet::test
