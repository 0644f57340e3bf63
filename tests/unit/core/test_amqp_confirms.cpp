// The AMQP bus's publisher-confirm ledger (core/src/amqp_confirms.hpp), no broker: which
// publishes a basic.ack, basic.nack or basic.return settles, and how, and what a lost
// connection hands back.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "amqp_confirms.hpp"

using namespace snet::detail;

namespace {

struct Settled {
  std::string item;
  bool ok;
  std::string error;
  bool operator==(const Settled&) const = default;
};

std::vector<Settled> confirm(ConfirmLedger<std::string>& ledger, std::uint64_t tag, bool multiple,
                             const std::string& refusal = {}) {
  std::vector<Settled> settled;
  ledger.confirm(tag, multiple, refusal, [&](std::string& item, bool ok, const std::string& e) {
    settled.push_back({item, ok, e});
  });
  return settled;
}

}  // namespace

TEST_CASE("publishes are numbered from 1 per channel, and the number is known before sending") {
  ConfirmLedger<std::string> ledger;
  CHECK(ledger.next_tag() == 1);
  CHECK(ledger.sent("a") == 1);
  CHECK(ledger.next_tag() == 2);
  CHECK(ledger.sent("b") == 2);
  CHECK(ledger.size() == 2);
  CHECK(ledger.take_unconfirmed() == std::vector<std::string>{"a", "b"});
  ledger.restart();
  CHECK(ledger.sent("c") == 1);
}

TEST_CASE("a single ack settles one publish, a multiple ack every one up to its number") {
  ConfirmLedger<std::string> ledger;
  for (const char* item : {"a", "b", "c", "d"}) ledger.sent(item);

  CHECK(confirm(ledger, 2, false) == std::vector<Settled>{{"b", true, ""}});
  CHECK(confirm(ledger, 2, false).empty());  // answered already: counts once
  CHECK(confirm(ledger, 3, true) == std::vector<Settled>{{"a", true, ""}, {"c", true, ""}});
  CHECK(ledger.size() == 1);
  CHECK(confirm(ledger, 99, false).empty());  // never sent
  CHECK(ledger.size() == 1);
  CHECK(confirm(ledger, 4, true) == std::vector<Settled>{{"d", true, ""}});
  CHECK(ledger.empty());
}

TEST_CASE("a nack fails the publishes it covers with the broker's reason") {
  ConfirmLedger<std::string> ledger;
  for (const char* item : {"a", "b", "c"}) ledger.sent(item);
  const std::string refused = "refused (basic.nack)";
  CHECK(confirm(ledger, 2, true, refused) ==
        std::vector<Settled>{{"a", false, refused}, {"b", false, refused}});
  CHECK(confirm(ledger, 3, false) == std::vector<Settled>{{"c", true, ""}});
}

TEST_CASE("a returned publish fails when its ack comes, a nack's reason wins over the return's") {
  ConfirmLedger<std::string> ledger;
  for (const char* item : {"a", "b", "c"}) ledger.sent(item);
  CHECK(ledger.returned(1, "unroutable"));
  CHECK(ledger.returned(3, "unroutable too"));
  CHECK_FALSE(ledger.returned(7, "never sent"));

  CHECK(confirm(ledger, 2, true) ==
        std::vector<Settled>{{"a", false, "unroutable"}, {"b", true, ""}});
  CHECK(confirm(ledger, 3, false, "refused") == std::vector<Settled>{{"c", false, "refused"}});

  // The return is forgotten with its publish: the same number on a new channel is delivered.
  ledger.restart();
  ledger.sent("d");
  CHECK(confirm(ledger, 1, false) == std::vector<Settled>{{"d", true, ""}});
}

TEST_CASE("a lost connection hands back what awaited an answer, in order, returns forgotten") {
  ConfirmLedger<std::string> ledger;
  for (const char* item : {"a", "b", "c"}) ledger.sent(item);
  confirm(ledger, 1, false);
  ledger.returned(2, "unroutable");
  CHECK(ledger.take_unconfirmed() == std::vector<std::string>{"b", "c"});
  CHECK(ledger.empty());

  ledger.restart();
  ledger.sent("b");  // sent again on the new channel, as number 1, then 2 for c
  ledger.sent("c");
  CHECK(confirm(ledger, 2, true) == std::vector<Settled>{{"b", true, ""}, {"c", true, ""}});
}
