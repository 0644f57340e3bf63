#include "writer.hpp"

#include <algorithm>

#include "snet/log.hpp"

namespace snet::state {
namespace {

// A state report carries each hop's time stamp; the hops of one machine share its clock, so
// the differences are the press path's latencies. A report without a press (an actuator's
// restored state) or with a hop before the press (clocks of other hosts) is left out.
void observe_latency(StateMetrics& metrics, const EventRecord& r) {
  if (r.press_ts <= 0) return;
  auto observe = [&](Histogram& histogram, Micros at) {
    if (at >= r.press_ts) histogram.observe(static_cast<double>(at - r.press_ts) / 1e6);
  };
  if (r.relay_ts > 0) observe(metrics.press_to_relayed, r.relay_ts);
  if (r.applied_ts > 0) observe(metrics.press_to_applied, r.applied_ts);
  if (r.stored_ts > 0) observe(metrics.press_to_stored, r.stored_ts);
}

}  // namespace

StateWriter::StateWriter(Store& store, Ingest& ingest, LiveFeed& feed, ServiceHealth& health,
                         StateMetrics& metrics, RetentionOptions retention, std::size_t max_batch)
    : store_(store),
      ingest_(ingest),
      feed_(feed),
      health_(health),
      metrics_(metrics),
      max_batch_(max_batch),
      retention_(store, retention, metrics) {
  thread_ = std::thread([this] { run(); });
}

StateWriter::~StateWriter() {
  stop();
}

void StateWriter::enqueue(Message message) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(message));
    metrics_.queue_depth.set(static_cast<std::int64_t>(queue_.size()));
  }
  wake_.notify_one();
}

void StateWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t StateWriter::depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::string StateWriter::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

void StateWriter::run() {
  std::deque<Message> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      // Woken by a message, by stop(), or when retention has a round to do.
      wake_.wait_until(lock, retention_.due(), [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;  // everything is written
      if (queue_.empty()) {
        lock.unlock();
        retention_.tick(0);
        continue;
      }
      const std::size_t n = std::min(queue_.size(), max_batch_);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      metrics_.queue_depth.set(static_cast<std::int64_t>(queue_.size()));
    }
    retention_.tick(process(batch));
    batch.clear();
  }
}

std::int64_t StateWriter::process(std::deque<Message>& messages) {
  std::vector<EventRecord> records;
  records.reserve(messages.size());
  bool health_changed = false;
  for (const Message& message : messages) {
    Classified c = ingest_.classify(message);
    switch (c.type) {
      case Classified::Type::record:
        records.push_back(std::move(c.record));
        break;
      case Classified::Type::status:
        health_.update(c.status);
        health_changed = true;
        break;
      case Classified::Type::forget:
        health_changed |= health_.forget(c.service);
        break;
      case Classified::Type::ignored:
      case Classified::Type::rejected:
        break;
    }
  }
  bool stored = true;
  std::int64_t written = 0;
  if (!records.empty()) {
    stored = write(records);
    if (stored) {
      feed_.apply(records);
      written =
          std::count_if(records.begin(), records.end(), [](const auto& r) { return r.seq != 0; });
    }
  }
  if (health_changed) feed_.health_changed();
  // Committed (or nothing to keep): only now may the broker forget them. Not stored (the
  // service stops while the store fails): unacknowledged, the broker delivers them again.
  if (stored) {
    for (const Message& message : messages) {
      if (message.ack) message.ack();
    }
  }
  return written;
}

bool StateWriter::write(std::vector<EventRecord>& records) {
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    try {
      store_.write(records);
      break;
    } catch (const std::exception& e) {
      metrics_.store_failures.add();
      log::error("store: writing ", records.size(), " records failed: ", e.what(), "; retrying in ",
                 backoff.count(), " ms");
      std::unique_lock lock(mutex_);
      problem_ = e.what();
      if (stopping_) {
        log::error("store: stopping; ", records.size(),
                   " records could not be stored (not acknowledged: the broker keeps them)");
        return false;
      }
      wake_.wait_for(lock, backoff, [this] { return stopping_; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
  metrics_.store_batches.add();
  std::int64_t states = 0, duplicates = 0, errors = 0;
  for (const auto& r : records) {
    if (r.seq == 0) {
      ++duplicates;
    } else if (r.kind == EventKind::state) {
      ++states;
      observe_latency(metrics_, r);
    } else {
      ++errors;
    }
  }
  metrics_.states_stored.add(states);
  metrics_.states_duplicate.add(duplicates);
  metrics_.errors_stored.add(errors);
  std::lock_guard lock(mutex_);
  problem_.clear();
  return true;
}

}  // namespace snet::state
