#include "links_fixture.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet::test {

TimedRecorder::TimedRecorder(const std::string& url, const std::vector<std::string>& filters) {
  BusOptions options;
  options.url = url;
  bus_ = loop_.make_bus(options);
  bus_->on_message([this](const Message& m) {
    {
      std::lock_guard lock(mutex_);
      arrivals_.push_back(Arrival{m, now_us()});
    }
    cv_.notify_all();
  });
  for (const auto& f : filters) bus_->subscribe(f, Qos::at_least_once);
  bus_->start();
  if (!bus_->wait_connected(std::chrono::seconds(10))) {
    throw std::runtime_error("timed recorder could not connect to " + url);
  }
}

TimedRecorder::~TimedRecorder() {
  bus_->stop();
}

bool TimedRecorder::wait(const std::function<bool(const std::vector<Arrival>&)>& pred,
                         std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return pred(arrivals_); });
}

std::vector<Arrival> TimedRecorder::arrivals() {
  std::lock_guard lock(mutex_);
  return arrivals_;
}

void publish_link_update(Bus& bus, const std::string& topology, const std::string& link,
                         const LinkSpec& spec) {
  const LinkUpdate update{link, spec, "test-" + link, now_us()};
  bus.publish(Message{topics::link_control_topic(topology, link), to_json(update), true, {}},
              Qos::at_least_once);
}

double status_metric(const std::vector<Arrival>& arrivals, const std::string& topology,
                     const std::string& service, const std::string& metric) {
  const std::string topic = topics::make(topology, topics::Kind::status, service);
  for (auto it = arrivals.rbegin(); it != arrivals.rend(); ++it) {
    if (it->message.topic != topic) continue;
    try {
      const auto metrics = nlohmann::json::parse(parse_status(it->message.payload).metrics_json);
      return metrics.value(metric, 0.0);
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace snet::test
