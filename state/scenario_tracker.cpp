#include "scenario_tracker.hpp"

#include "live_feed.hpp"
#include "snet/log.hpp"
#include "snet/topics.hpp"

namespace snet::state {
namespace {

constexpr std::uint64_t kLoggedRejections = 20;  // then every 100th: statuses come each second

}  // namespace

ScenarioTracker::ScenarioTracker(const Topology& topology, StateMetrics& metrics, LiveFeed* feed)
    : topic_(topics::scenario_topic(topology.name)), metrics_(metrics), feed_(feed) {}

bool ScenarioTracker::observe(const Message& message) {
  if (message.topic != topic_) return false;
  std::optional<ScenarioStatus> status;
  if (!message.payload.empty()) {  // empty: the retained status was cleared
    try {
      status = parse_scenario_status(message.payload);
    } catch (const BadMessage& bad) {
      metrics_.rejected(bad.reason).add();
      std::uint64_t n = 0;
      {
        std::lock_guard lock(mutex_);
        n = ++rejections_;
      }
      if (n <= kLoggedRejections || n % 100 == 0) {
        log::warn("rejected message on ", message.topic, ": ", bad.reason, ": ", bad.what());
      }
      return true;
    }
  }
  nlohmann::json pushed;
  {
    std::lock_guard lock(mutex_);
    // Out of order within one run (a retained copy seen after a newer one): keep the newer.
    if (status && latest_ && status->run == latest_->run && status->ts < latest_->ts) return true;
    if (status == latest_) return true;
    latest_ = std::move(status);
    pushed = latest_ ? to_json_value(*latest_) : nlohmann::json();
  }
  if (feed_ != nullptr) feed_->scenario_changed(std::move(pushed));
  return true;
}

std::optional<nlohmann::json> ScenarioTracker::view() const {
  std::lock_guard lock(mutex_);
  if (!latest_) return std::nullopt;
  return to_json_value(*latest_);
}

}  // namespace snet::state
