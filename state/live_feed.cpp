#include "live_feed.hpp"

#include <algorithm>

#include "snet/log.hpp"
#include "topology_view.hpp"
#include "views.hpp"

namespace snet::state {
namespace {

constexpr std::size_t kMaxErrorsPerMessage = 1000;
// A flush interval's readings in one message; a backlog beyond (a stalled flush) keeps the newest.
constexpr std::size_t kMaxReadingsPerMessage = 20'000;

std::shared_ptr<const std::string> serialise(const nlohmann::json& message) {
  // Replace, not throw, on invalid UTF-8: one bad string must not stop the feed.
  return std::make_shared<const std::string>(
      message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

std::chrono::steady_clock::duration next_flush_gap(std::chrono::steady_clock::duration cost,
                                                   std::chrono::milliseconds longest) {
  const std::chrono::steady_clock::duration shortest = std::min(kMinFlushGap, longest);
  return std::clamp<std::chrono::steady_clock::duration>(cost * kFlushCostShare, shortest, longest);
}

LiveFeed::LiveFeed(const Topology& topology, StateMetrics& metrics,
                   std::function<nlohmann::json()> health, std::chrono::milliseconds flush_interval)
    : topology_(topology),
      metrics_(metrics),
      health_(std::move(health)),
      flush_interval_(flush_interval),
      topology_json_(state::topology_view(topology)) {
  thread_ = std::thread([this] { run(); });
}

LiveFeed::~LiveFeed() {
  stop();
}

void LiveFeed::load(const std::vector<DeviceState>& states) {
  std::lock_guard lock(mutex_);
  for (const auto& s : states) {
    if (topology_.find(s.device) != nullptr) current_[s.device] = s;
  }
}

void LiveFeed::keep_latest_locked(const ReadingRecord& r) {
  auto [it, added] = latest_readings_[r.device].try_emplace(r.capability, r);
  if (!added && r.ts >= it->second.ts) it->second = r;
}

void LiveFeed::load_readings(const std::vector<ReadingRecord>& latest) {
  std::lock_guard lock(mutex_);
  for (const auto& r : latest) {
    if (topology_.find(r.device) != nullptr) keep_latest_locked(r);
  }
}

void LiveFeed::apply_readings(const std::vector<ReadingRecord>& stored) {
  if (stored.empty()) return;
  std::unique_lock lock(mutex_);
  record_readings_locked(stored);
  wake_if_pending(lock);
}

void LiveFeed::apply(const std::vector<EventRecord>& stored) {
  std::unique_lock lock(mutex_);
  record_locked(stored, now_us());
  wake_if_pending(lock);
}

void LiveFeed::apply_commit(const std::vector<EventRecord>& stored,
                            const std::vector<ReadingRecord>& readings,
                            const std::function<void()>& counted) {
  const Micros now = now_us();
  std::unique_lock lock(mutex_);
  record_locked(stored, now);
  record_readings_locked(readings);
  // Under the lock: no flush (here or on the flush thread) can send them before they count.
  counted();
  wake_if_pending(lock);
}

void LiveFeed::record_readings_locked(const std::vector<ReadingRecord>& stored) {
  for (const auto& r : stored) {
    if (r.id == 0) continue;  // a duplicate: sent already
    keep_latest_locked(r);
    pending_readings_.push_back(r);
  }
  if (pending_readings_.size() > kMaxReadingsPerMessage) {
    const std::size_t drop = pending_readings_.size() - kMaxReadingsPerMessage;
    pending_readings_.erase(pending_readings_.begin(),
                            pending_readings_.begin() + static_cast<std::ptrdiff_t>(drop));
    omitted_readings_ += drop;
  }
}

void LiveFeed::record_locked(const std::vector<EventRecord>& stored, Micros now) {
  for (const auto& r : stored) {
    if (r.seq == 0) continue;  // a duplicate: nothing changed
    if (r.kind == EventKind::state) {
      DeviceState s = current_state_of(r);
      current_[r.device] = s;
      pending_states_[r.device] = PendingState{std::move(s), now};
    } else if (r.kind == EventKind::fault) {
      pending_faults_.push_back(r);
    } else {
      pending_errors_.push_back(r);
    }
  }
}

void LiveFeed::wake_if_pending(std::unique_lock<std::mutex>& lock) {
  if (!pending_locked()) return;
  lock.unlock();
  wake_.notify_one();
}

void LiveFeed::timed_flush_locked() {
  const auto began = std::chrono::steady_clock::now();
  try {
    flush_locked();
  } catch (const std::exception& e) {
    log::error("live feed: flush failed: ", e.what());
  }
  last_flush_ = std::chrono::steady_clock::now();
  gap_ = next_flush_gap(last_flush_ - began, flush_interval_);
}

void LiveFeed::health_changed() {
  {
    std::lock_guard lock(mutex_);
    health_dirty_ = true;
  }
  wake_.notify_one();
}

void LiveFeed::link_changed(nlohmann::json item) {
  {
    std::lock_guard lock(mutex_);
    const std::string id = item.value("id", "");
    auto [it, added] = pending_links_.try_emplace(id, item);
    if (!added && item.value("rev", 0ULL) >= it->second.value("rev", 0ULL)) {
      it->second = std::move(item);
    }
  }
  wake_.notify_one();
}

void LiveFeed::scenario_changed(nlohmann::json status) {
  {
    std::lock_guard lock(mutex_);
    scenario_ = std::move(status);
    scenario_dirty_ = true;
  }
  wake_.notify_one();
}

void LiveFeed::open(const std::shared_ptr<http::WebSocket>& client) {
  std::lock_guard lock(mutex_);
  nlohmann::json snapshot = {{"type", "snapshot"},
                             {"topology", topology_json_},
                             {"devices", devices_locked()},
                             {"health", health_()},
                             {"scenario", scenario_}};
  client->send(serialise(snapshot));
  hub_.join(client);
  metrics_.ws_clients.set(static_cast<std::int64_t>(hub_.size()));
}

void LiveFeed::close(const std::shared_ptr<http::WebSocket>& client) {
  hub_.leave(*client);
  metrics_.ws_clients.set(static_cast<std::int64_t>(hub_.size()));
}

nlohmann::json LiveFeed::devices() const {
  std::lock_guard lock(mutex_);
  return devices_locked();
}

std::optional<nlohmann::json> LiveFeed::device(const std::string& id) const {
  const Device* d = topology_.find(id);
  if (d == nullptr) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = current_.find(id);
  return device_locked(*d, it == current_.end() ? nullptr : &it->second);
}

nlohmann::json LiveFeed::device_locked(const Device& device, const DeviceState* state) const {
  auto it = latest_readings_.find(device.id);
  return device_view(device, state, it == latest_readings_.end() ? nullptr : &it->second);
}

nlohmann::json LiveFeed::devices_locked() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : topology_.devices) {
    auto it = current_.find(d.id);
    out.push_back(device_locked(d, it == current_.end() ? nullptr : &it->second));
  }
  return out;
}

void LiveFeed::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LiveFeed::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || pending_locked(); });
    if (!stopping_) {
      // Coalesce: changes arriving within the gap after the last flush wait for the next.
      // After a quiet spell the last flush is long past: sent at once.
      wake_.wait_until(lock, last_flush_ + gap_, [this] { return stopping_; });
    }
    timed_flush_locked();
    if (stopping_) return;
  }
}

void LiveFeed::flush_locked() {
  if (!pending_states_.empty()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& [id, pending] : pending_states_) {
      if (const Device* d = topology_.find(id)) items.push_back(device_locked(*d, &pending.state));
    }
    broadcast_locked({{"type", "states"}, {"items", std::move(items)}});
    if (hub_.size() > 0) {
      const Micros sent = now_us();
      for (const auto& [id, pending] : pending_states_) {
        metrics_.feed_waited.observe(static_cast<double>(sent - pending.applied_at) / 1e6);
        if (pending.state.stored_ts > 0) {
          metrics_.feed_sent.observe(static_cast<double>(sent - pending.state.stored_ts) / 1e6);
        }
      }
    }
    pending_states_.clear();
  }
  if (!pending_errors_.empty()) {
    nlohmann::json items = nlohmann::json::array();
    const std::size_t first = pending_errors_.size() > kMaxErrorsPerMessage
                                  ? pending_errors_.size() - kMaxErrorsPerMessage
                                  : 0;
    for (std::size_t i = first; i < pending_errors_.size(); ++i) {
      items.push_back(event_view(pending_errors_[i]));
    }
    pending_errors_.clear();
    broadcast_locked({{"type", "errors"}, {"items", std::move(items)}, {"omitted", first}});
  }
  if (!pending_readings_.empty() && hub_.size() == 0) {
    pending_readings_.clear();  // nobody to tell: not worth building the message
    omitted_readings_ = 0;
  }
  if (!pending_readings_.empty()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : pending_readings_) items.push_back(reading_item(r));
    pending_readings_.clear();
    broadcast_locked(
        {{"type", "readings"}, {"items", std::move(items)}, {"omitted", omitted_readings_}});
    omitted_readings_ = 0;
  }
  if (!pending_faults_.empty()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& fault : pending_faults_) items.push_back(event_view(fault));
    pending_faults_.clear();
    broadcast_locked({{"type", "faults"}, {"items", std::move(items)}});
  }
  if (!pending_links_.empty()) {
    nlohmann::json items = nlohmann::json::array();
    for (auto& [id, item] : pending_links_) items.push_back(std::move(item));
    pending_links_.clear();
    broadcast_locked({{"type", "links"}, {"items", std::move(items)}});
  }
  if (scenario_dirty_) {
    scenario_dirty_ = false;
    broadcast_locked({{"type", "scenario"}, {"scenario", scenario_}});
  }
  if (health_dirty_) {
    health_dirty_ = false;
    broadcast_locked({{"type", "health"}, {"health", health_()}});
  }
}

void LiveFeed::broadcast_locked(const nlohmann::json& message) {
  if (hub_.size() == 0) return;
  hub_.broadcast(serialise(message));
  metrics_.ws_messages.add();
}

}  // namespace snet::state
