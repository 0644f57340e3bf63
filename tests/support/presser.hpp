// A press source for fault tests and the fault bench: a client with a persistent session that
// counts what the broker acknowledged (Presser), and a paced loop.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness.hpp"
#include "snet/bus.hpp"
#include "snet/bus_loop.hpp"

namespace snet::test {

class Presser {
 public:
  /// A client with a persistent session (as the issue asks of a press source) on `url`.
  Presser(const std::string& url, const std::string& client_id);
  ~Presser();
  bool wait_connected(std::chrono::milliseconds timeout) { return bus_->wait_connected(timeout); }
  /// Publishes {"id": id, "ts": now} at QoS 1 on `topic`; counted when the broker acknowledges
  /// it.
  void press(const std::string& topic, const std::string& id);
  /// Publishes a DeviceControl for one device straight to the broker (as the state API does).
  void control(const std::string& topology, const std::string& action, const std::string& device,
               std::int64_t duration_ms);
  int acked() const { return acked_.load(); }
  /// Presses the broker refused (a nack: e.g. a cluster's queue between two leaders); each is
  /// published again, same id, by wait_acked(), as a device would.
  int refusals() const { return refusals_.load(); }
  /// Waits until `count` presses are acknowledged, publishing refused ones again every 200 ms.
  bool wait_acked(int count, std::chrono::milliseconds timeout);

 private:
  void publish(Message message);
  BusLoop loop_;  // MQTT on the project's own client; AMQP through make_bus()
  std::unique_ptr<Bus> bus_;
  std::atomic<int> acked_{0}, refusals_{0};
  std::mutex mutex_;
  std::vector<Message> refused_;  // guarded by mutex_
};

/// Calls step(0..count-1) at `per_second` steps a second (a workload's pace, not a wait).
void pace(int count, int per_second, const std::function<void(int)>& step);

}  // namespace snet::test
