// Private: the AMQP bus's publisher-confirm ledger. With confirms on, the broker numbers a
// channel's publishes 1, 2, 3, ... and answers each with basic.ack or basic.nack, "multiple"
// ones covering every earlier number too; a mandatory publish no queue took comes back as
// basic.return first and is then acked (acked, yet not delivered: a failure to the publisher).
// The ledger keeps what was sent under its number until the answer comes, and says what became
// of each publish. Pure (no sockets, no threads): the network thread owns it; unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace snet::detail {

template <typename Item>
class ConfirmLedger {
 public:
  /// A new channel: its publishes are numbered from 1 again. Call when nothing is unconfirmed
  /// (take_unconfirmed() after a lost connection).
  void restart() { next_tag_ = 1; }

  /// The number the next publish gets (to send it along as message-id, before sent()).
  std::uint64_t next_tag() const { return next_tag_; }

  /// `item` was published: returns its number (what a basic.ack or basic.return names).
  std::uint64_t sent(Item item) {
    const std::uint64_t tag = next_tag_++;
    unconfirmed_.emplace(tag, std::move(item));
    return tag;
  }

  /// A basic.return for publish `tag`: its coming ack means "not delivered", for `why`.
  /// False (and nothing kept) when `tag` is not awaiting an answer.
  bool returned(std::uint64_t tag, std::string why) {
    if (unconfirmed_.count(tag) == 0) return false;
    returned_.emplace(tag, std::move(why));  // one return per publish: the first is kept
    return true;
  }

  /// A basic.ack (`refusal` empty) or basic.nack (`refusal` says why) for `tag`, or with
  /// `multiple` for every publish up to it. Calls done(item, ok, error) for each one it settles,
  /// in publish order, and forgets them. Tags not awaiting an answer are ignored.
  template <typename Done>
  void confirm(std::uint64_t tag, bool multiple, const std::string& refusal, Done&& done) {
    const auto first = multiple ? unconfirmed_.begin() : unconfirmed_.find(tag);
    const auto last = multiple ? unconfirmed_.upper_bound(tag)
                               : (first == unconfirmed_.end() ? first : std::next(first));
    for (auto it = first; it != last; ++it) {
      const auto ret = returned_.find(it->first);
      if (ret == returned_.end()) {
        done(it->second, refusal.empty(), refusal);
        continue;
      }
      // A nack's reason wins over the return's: the broker refused it outright.
      done(it->second, false, refusal.empty() ? ret->second : refusal);
      returned_.erase(ret);
    }
    unconfirmed_.erase(first, last);
  }

  /// The connection is gone and with it every answer still owed: hands back what awaited one,
  /// in publish order, and forgets it.
  std::vector<Item> take_unconfirmed() {
    std::vector<Item> items;
    items.reserve(unconfirmed_.size());
    for (auto& [tag, item] : unconfirmed_) items.push_back(std::move(item));
    unconfirmed_.clear();
    returned_.clear();
    return items;
  }

  bool empty() const { return unconfirmed_.empty(); }
  std::size_t size() const { return unconfirmed_.size(); }

 private:
  std::map<std::uint64_t, Item> unconfirmed_;      // publish number -> what was published
  std::map<std::uint64_t, std::string> returned_;  // unconfirmed but returned: why
  std::uint64_t next_tag_ = 1;
};

}  // namespace snet::detail
