#include "amqp_acks.hpp"

#include <algorithm>

namespace snet::detail {

std::uint64_t AckInbox::next_generation() {
  std::lock_guard lock(mutex_);
  tags_.clear();
  return ++generation_;
}

void AckInbox::post(std::uint64_t generation, std::uint64_t tag) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    if (generation != generation_) return;  // another connection's tag: names nothing now
    was_empty = tags_.empty();
    tags_.push_back(tag);
  }
  // The network thread drains the whole inbox after it wakes, so one wake per batch is enough;
  // an ack given on the network thread (in a handler or a PublishDone) is drained unprompted.
  if (was_empty && wake_ && std::this_thread::get_id() != network_thread_.load()) wake_();
}

std::vector<std::uint64_t> AckInbox::take() {
  std::vector<std::uint64_t> tags;
  std::lock_guard lock(mutex_);
  tags.swap(tags_);
  return tags;
}

std::function<void()> AckInbox::ack_function(const std::shared_ptr<AckInbox>& inbox,
                                             std::uint64_t generation, std::uint64_t tag) {
  return [weak = std::weak_ptr<AckInbox>(inbox), generation, tag] {
    if (auto alive = weak.lock()) alive->post(generation, tag);
  };
}

AckPlan DeliveryLedger::plan(std::vector<std::uint64_t> ready) {
  std::sort(ready.begin(), ready.end());
  ready.erase(std::unique(ready.begin(), ready.end()), ready.end());
  std::vector<std::uint64_t> acked;
  acked.reserve(ready.size());
  for (const auto tag : ready) {
    if (in_hand_.erase(tag) != 0) acked.push_back(tag);
  }
  AckPlan plan;
  // Below the oldest delivery still in hand, everything is acknowledged: one frame covers it.
  const std::uint64_t oldest_in_hand = in_hand_.empty() ? UINT64_MAX : *in_hand_.begin();
  for (const auto tag : acked) {
    if (tag < oldest_in_hand) {
      plan.multiple_up_to = tag;
    } else {
      plan.singles.push_back(tag);
    }
  }
  return plan;
}

}  // namespace snet::detail
