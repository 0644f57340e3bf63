#include "presser.hpp"

#include <thread>

#include <nlohmann/json.hpp>

#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet::test {

Presser::Presser(const std::string& url, const std::string& client_id) {
  BusOptions options;
  options.url = url;
  options.client_id = client_id;
  options.persistent_session = true;
  bus_ = loop_.make_bus(options);
  bus_->start();
}

Presser::~Presser() {
  bus_->stop();
}

void Presser::press(const std::string& topic, const std::string& id) {
  publish(Message{topic, nlohmann::json{{"id", id}, {"ts", now_us()}}.dump(), false, {}});
}

void Presser::publish(Message message) {
  bus_->publish(message, Qos::at_least_once, [this, message](bool ok, const std::string&) {
    if (ok) {
      acked_.fetch_add(1);
      return;
    }
    refusals_.fetch_add(1);
    std::lock_guard lock(mutex_);
    refused_.push_back(message);
  });
}

void Presser::control(const std::string& topology, const std::string& action,
                      const std::string& device, std::int64_t duration_ms) {
  DeviceControl control{action, {device}, "test-" + action + "-" + device, now_us(), duration_ms};
  bus_->publish(Message{topics::control_topic(topology), to_json(control), false, {}},
                Qos::at_least_once);
}

bool Presser::wait_acked(int count, std::chrono::milliseconds timeout) {
  auto last_round = std::chrono::steady_clock::now();
  return eventually(
      [&] {
        if (acked_.load() >= count) return true;
        if (std::chrono::steady_clock::now() - last_round >= std::chrono::milliseconds(200)) {
          last_round = std::chrono::steady_clock::now();
          std::vector<Message> again;
          {
            std::lock_guard lock(mutex_);
            again.swap(refused_);
          }
          for (auto& message : again) publish(std::move(message));
        }
        return false;
      },
      timeout);
}

void pace(int count, int per_second, const std::function<void(int)>& step) {
  const auto start = std::chrono::steady_clock::now();
  for (int n = 0; n < count; ++n) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(1'000'000LL * n / per_second));
    step(n);
  }
}

}  // namespace snet::test
