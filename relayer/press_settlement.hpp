// When a press may be acknowledged to the broker: only once everything it caused (its commands,
// or its PressError) has been published and answered by the broker. Until then the broker keeps
// the press and delivers it again if this relayer dies (to its restarted self or, with a shared
// subscription, to another relayer), so an acknowledged press is never lost.
//
// A settlement counts what is outstanding: the dispatch itself (ended by dispatched()) and each
// publish (expect() before it, answered() in its callback). At zero the acks run, once. A press
// whose compute never answers is never settled: the broker delivers it again.
//
// PressLedger pairs settlements with press ids, so that a duplicate of a press still in progress
// (delivered again after a reconnect) is acknowledged together with the original, not before.
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace snet::relayer {

class PressLedger;

class PressSettlement {
 public:
  PressSettlement(PressLedger& ledger, std::string press_id)
      : ledger_(ledger), press_id_(std::move(press_id)) {}
  void expect() { outstanding_.fetch_add(1); }
  void answered() { release(); }
  void dispatched() { release(); }

 private:
  void release();
  PressLedger& ledger_;
  std::string press_id_;
  std::atomic<int> outstanding_{1};  // the dispatch
};

class PressLedger {
 public:
  /// Starts tracking `press_id`, whose ack is `ack` (may be empty).
  std::shared_ptr<PressSettlement> begin(const std::string& press_id, std::function<void()> ack);
  /// A duplicate: true when the original is still in progress (`ack` then runs with its acks).
  bool join(const std::string& press_id, std::function<void()> ack);
  /// Presses begun and not settled yet.
  std::size_t in_progress() const;

 private:
  friend class PressSettlement;
  void settle(const std::string& press_id);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::function<void()>>> acks_;
};

}  // namespace snet::relayer
