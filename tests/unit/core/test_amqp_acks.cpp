// The AMQP bus's acknowledgement bookkeeping, no broker: which basic.ack frames a batch of ready
// delivery tags becomes, and how Message::ack functions behave across connections and after the
// bus is gone.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "amqp_acks.hpp"

using namespace snet::detail;

TEST_CASE("acks in delivery order become one multiple ack and out-of-order ones single acks") {
  DeliveryLedger ledger;
  for (std::uint64_t tag = 1; tag <= 6; ++tag) ledger.delivered(tag);

  AckPlan plan = ledger.plan({3, 1, 2});
  CHECK(plan.multiple_up_to == 3);
  CHECK(plan.singles.empty());

  plan = ledger.plan({6, 5});  // 4 still in hand: 5 and 6 must not be acked with it
  CHECK(plan.multiple_up_to == 0);
  CHECK(plan.singles == std::vector<std::uint64_t>{5, 6});
  CHECK(ledger.in_hand() == 1);

  plan = ledger.plan({4, 4, 2, 99});  // twice, already acked, never delivered: once, or not at all
  CHECK(plan.multiple_up_to == 4);
  CHECK(plan.singles.empty());
  CHECK(ledger.in_hand() == 0);
  CHECK(ledger.plan({4}).multiple_up_to == 0);
}

TEST_CASE("a rejected delivery leaves the ledger, so a later ack of it is ignored") {
  DeliveryLedger ledger;
  ledger.delivered(1);
  ledger.delivered(2);
  CHECK(ledger.forget(1));
  CHECK_FALSE(ledger.forget(1));
  const AckPlan plan = ledger.plan({1, 2});
  CHECK(plan.multiple_up_to == 2);
  CHECK(plan.singles.empty());
}

TEST_CASE(
    "ack functions of an earlier connection do nothing and those of a gone bus are harmless") {
  std::atomic<int> wakes{0};
  auto inbox = std::make_shared<AckInbox>([&] { ++wakes; });
  const auto first = inbox->next_generation();
  auto old_ack = AckInbox::ack_function(inbox, first, 7);
  auto ack = AckInbox::ack_function(inbox, first, 8);
  ack();
  ack();  // twice: the ledger ignores the second
  CHECK(inbox->take() == std::vector<std::uint64_t>{8, 8});
  CHECK(wakes == 1);  // one wake per batch

  inbox->next_generation();  // reconnected: tag 7 now names another delivery, if any
  old_ack();
  CHECK(inbox->take().empty());
  CHECK(wakes == 1);

  const auto second = inbox->next_generation();
  auto from_thread = AckInbox::ack_function(inbox, second, 1);
  std::thread([&] { from_thread(); }).join();
  CHECK(inbox->take() == std::vector<std::uint64_t>{1});

  inbox->set_network_thread(std::this_thread::get_id());  // it drains after each batch: no wake
  const int before = wakes;
  AckInbox::ack_function(inbox, second, 2)();
  CHECK(wakes == before);
  CHECK(inbox->take() == std::vector<std::uint64_t>{2});

  inbox.reset();  // the bus is gone
  from_thread();  // must not crash
}
