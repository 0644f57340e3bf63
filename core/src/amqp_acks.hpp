// Private: delivery acknowledgements of the AMQP bus.
// - AckInbox: where Message::ack (any thread) leaves a delivery tag for the network thread, which
//   alone may talk to rabbitmq-c. Tags carry the connection's generation: a tag of an earlier
//   connection (or channel) names nothing on the current one, so it is dropped.
// - DeliveryLedger: the network thread's record of deliveries not yet acknowledged, which turns
//   the tags that are ready into as few basic.ack frames as it can (one "multiple" ack for the
//   run below the oldest delivery still in hand, single acks above it). Pure: unit-tested.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace snet::detail {

class AckInbox {
 public:
  /// `wake` is called (from the acking thread) when the inbox turns non-empty, unless that is
  /// the network thread itself, which drains the inbox after every batch of frames anyway.
  explicit AckInbox(std::function<void()> wake) : wake_(std::move(wake)) {}

  /// Network thread, first thing: names it (acks from it need no wake).
  void set_network_thread(std::thread::id id) { network_thread_ = id; }

  /// Network thread: a new connection (or a lost one) begins; earlier tags are void from now on.
  /// Returns the new generation.
  std::uint64_t next_generation();
  /// Any thread: queues `tag` unless `generation` is over. Wakes the network thread if needed.
  void post(std::uint64_t generation, std::uint64_t tag);
  /// Network thread: takes the queued tags (of the current generation).
  std::vector<std::uint64_t> take();

  /// An ack function for Message::ack: holds the inbox weakly, so it may outlive the bus.
  static std::function<void()> ack_function(const std::shared_ptr<AckInbox>& inbox,
                                            std::uint64_t generation, std::uint64_t tag);

 private:
  std::mutex mutex_;
  std::uint64_t generation_ = 0;
  std::vector<std::uint64_t> tags_;
  std::function<void()> wake_;
  std::atomic<std::thread::id> network_thread_{};
};

/// What to send for a batch of ready tags.
struct AckPlan {
  std::uint64_t multiple_up_to = 0;  // 0: none; else basic.ack(tag, multiple=true)
  std::vector<std::uint64_t> singles;
};

class DeliveryLedger {
 public:
  void delivered(std::uint64_t tag) { in_hand_.insert(tag); }
  /// Forgets `tag` (rejected, or acked by itself). False if it was not in hand.
  bool forget(std::uint64_t tag) { return in_hand_.erase(tag) != 0; }
  /// Tags not in hand (acked already, or unknown) are ignored: an ack counts at most once.
  AckPlan plan(std::vector<std::uint64_t> ready);
  /// A new connection: delivery tags start again at 1.
  void clear() { in_hand_.clear(); }
  std::size_t in_hand() const { return in_hand_.size(); }

 private:
  std::set<std::uint64_t> in_hand_;
};

}  // namespace snet::detail
