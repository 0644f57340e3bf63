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

bool is_reading_topic(const std::string& topic) {
  // snet/<topology>/<kind>/<device>: the kind is the third level.
  const auto first = topic.find('/');
  if (first == std::string::npos) return false;
  const auto second = topic.find('/', first + 1);
  if (second == std::string::npos) return false;
  return topic.compare(second + 1, 8, "reading/") == 0;
}

StateWriter::StateWriter(Store& store, Ingest& ingest, LiveFeed& feed, ServiceHealth& health,
                         StateMetrics& metrics, RetentionOptions retention,
                         RetentionOptions readings_retention, std::size_t max_batch,
                         std::size_t max_readings, std::chrono::milliseconds commit_gap)
    : store_(store),
      ingest_(ingest),
      feed_(feed),
      health_(health),
      metrics_(metrics),
      max_batch_(max_batch),
      max_readings_(max_readings),
      commit_gap_(commit_gap),
      retention_(store, retention, metrics),
      readings_retention_(store, readings_retention, metrics, now_us, RetainedTable::readings) {
  thread_ = std::thread([this] { run(); });
}

StateWriter::~StateWriter() {
  stop();
}

void StateWriter::enqueue(Message message) {
  const bool reading = is_reading_topic(message.topic);
  {
    std::lock_guard lock(mutex_);
    if (reading && readings_.size() >= kMaxQueuedReadings) {
      metrics_.readings_shed.add();
      if (message.ack) message.ack();  // shed for good: the broker must not send it again
      return;
    }
    (reading ? readings_ : queue_).push_back(std::move(message));
    set_depth_locked();
    if (gathering_ && !batch_full_locked()) return;
  }
  wake_.notify_one();
}

bool StateWriter::batch_full_locked() const {
  return queue_.size() >= max_batch_ || readings_.size() >= max_readings_;
}

void StateWriter::set_depth_locked() {
  metrics_.queue_depth.set(static_cast<std::int64_t>(queue_.size() + readings_.size()));
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
  return queue_.size() + readings_.size();
}

std::string StateWriter::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

void StateWriter::run() {
  std::deque<Message> batch;
  // Moves the first n messages of `from` to the batch.
  auto take = [&batch](std::deque<Message>& from, std::size_t n) {
    const auto end = from.begin() + static_cast<std::ptrdiff_t>(std::min(from.size(), n));
    batch.insert(batch.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(end));
    from.erase(from.begin(), end);
  };
  auto last_batch = std::chrono::steady_clock::time_point{};
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      // Woken by a message, by stop(), or when retention has a round to do.
      const auto due = std::min(retention_.due(), readings_retention_.due());
      wake_.wait_until(lock, due,
                       [this] { return stopping_ || !queue_.empty() || !readings_.empty(); });
      const bool empty = queue_.empty() && readings_.empty();
      if (empty && stopping_) return;  // everything is written
      if (empty) {
        lock.unlock();
        retention_.tick(0);
        readings_retention_.tick(0);
        continue;
      }
      const auto gathered = last_batch + commit_gap_;
      if (std::chrono::steady_clock::now() < gathered && !batch_full_locked()) {
        gathering_ = true;
        wake_.wait_until(lock, gathered, [this] { return stopping_ || batch_full_locked(); });
        gathering_ = false;
      }
      last_batch = std::chrono::steady_clock::now();
      take(queue_, max_batch_);  // first: state reports must not wait behind readings
      take(readings_, max_readings_);
      set_depth_locked();
    }
    const Written written = process(batch);
    retention_.tick(written.records);
    readings_retention_.tick(written.readings);
    batch.clear();
  }
}

StateWriter::Written StateWriter::process(std::deque<Message>& messages) {
  std::vector<EventRecord> records;
  std::vector<ReadingRecord> readings;
  bool health_changed = false;
  for (const Message& message : messages) {
    Classified c = ingest_.classify(message);
    switch (c.type) {
      case Classified::Type::record:
        records.push_back(std::move(c.record));
        break;
      case Classified::Type::reading:
        readings.push_back(std::move(c.reading));
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
  Written written;
  if (!records.empty() || !readings.empty()) {
    stored = write(records, readings);
    if (stored) {
      const Micros committed = now_us();
      feed_.apply_commit(records, readings, [&] { count_stored(records, readings, committed); });
      written.records =
          std::count_if(records.begin(), records.end(), [](const auto& r) { return r.seq != 0; });
      written.readings =
          std::count_if(readings.begin(), readings.end(), [](const auto& r) { return r.id != 0; });
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

bool StateWriter::write(std::vector<EventRecord>& records, std::vector<ReadingRecord>& readings) {
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    try {
      store_.write(records, readings);
      break;
    } catch (const std::exception& e) {
      metrics_.store_failures.add();
      log::error("store: writing ", records.size(), " records and ", readings.size(),
                 " readings failed: ", e.what(), "; retrying in ", backoff.count(), " ms");
      std::unique_lock lock(mutex_);
      problem_ = e.what();
      if (stopping_) {
        log::error("store: stopping; ", records.size(), " records and ", readings.size(),
                   " readings could not be stored (not acknowledged: the broker keeps them)");
        return false;
      }
      wake_.wait_for(lock, backoff, [this] { return stopping_; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
  std::lock_guard lock(mutex_);
  problem_.clear();
  return true;
}

// Inside LiveFeed::apply_commit: after the feed has them (whoever sees a count can also read
// what it counts) and before it sends them (whoever is sent them can also read their counts).
void StateWriter::count_stored(const std::vector<EventRecord>& records,
                               const std::vector<ReadingRecord>& readings, Micros committed) {
  metrics_.store_batches.add();
  std::int64_t states = 0, duplicates = 0, errors = 0;
  for (const auto& r : records) {
    if (r.seq == 0) {
      ++duplicates;
    } else if (r.kind == EventKind::state) {
      ++states;
      observe_latency(metrics_, r);
      metrics_.feed_committed.observe(static_cast<double>(committed - r.stored_ts) / 1e6);
    } else {
      ++errors;
    }
  }
  metrics_.states_stored.add(states);
  metrics_.states_duplicate.add(duplicates);
  metrics_.errors_stored.add(errors);
  const auto new_readings =
      std::count_if(readings.begin(), readings.end(), [](const auto& r) { return r.id != 0; });
  metrics_.readings_stored.add(new_readings);
  metrics_.readings_duplicate.add(static_cast<std::int64_t>(readings.size()) - new_readings);
}

}  // namespace snet::state
