// The AMQP bus's delivery <-> Message mapping (core/src/amqp_message.hpp), no broker: header
// tables as text, which deliveries are messages, and what a Message must be to be published.
#include <doctest/doctest.h>

#include <vector>

#include "amqp_message.hpp"

using namespace snet::detail;

namespace {

amqp_table_entry_t entry(const char* key, amqp_field_value_t value) {
  amqp_table_entry_t e{};
  e.key = amqp_cstring_bytes(key);
  e.value = value;
  return e;
}

amqp_field_value_t value_of(std::uint8_t kind) {
  amqp_field_value_t v{};
  v.kind = kind;
  return v;
}

}  // namespace

TEST_CASE("every scalar header becomes text, tables, arrays and decimals are left out") {
  amqp_field_value_t text = value_of(AMQP_FIELD_KIND_UTF8);
  text.value.bytes = amqp_cstring_bytes("lamp");
  amqp_field_value_t yes = value_of(AMQP_FIELD_KIND_BOOLEAN);
  yes.value.boolean = 1;
  amqp_field_value_t floor = value_of(AMQP_FIELD_KIND_I32);
  floor.value.i32 = -2;
  amqp_field_value_t big = value_of(AMQP_FIELD_KIND_U64);
  big.value.u64 = 18446744073709551615ull;
  amqp_field_value_t nested = value_of(AMQP_FIELD_KIND_TABLE);
  nested.value.table = amqp_empty_table;
  amqp_field_value_t decimal = value_of(AMQP_FIELD_KIND_DECIMAL);
  amqp_field_value_t first = value_of(AMQP_FIELD_KIND_UTF8);
  first.value.bytes = amqp_cstring_bytes("first");
  amqp_field_value_t second = value_of(AMQP_FIELD_KIND_UTF8);
  second.value.bytes = amqp_cstring_bytes("second");
  std::vector<amqp_table_entry_t> entries = {entry("kind", text),
                                             entry("on", yes),
                                             entry("floor", floor),
                                             entry("big", big),
                                             entry("none", value_of(AMQP_FIELD_KIND_VOID)),
                                             entry("nested", nested),
                                             entry("decimal", decimal),
                                             entry("twice", first),
                                             entry("twice", second)};
  const amqp_table_t table{static_cast<int>(entries.size()), entries.data()};
  const std::map<std::string, std::string> expected = {
      {"kind", "lamp"}, {"on", "true"},    {"floor", "-2"}, {"big", "18446744073709551615"},
      {"none", ""},     {"twice", "first"}};
  CHECK(header_texts(table) == expected);
  CHECK(header_texts(amqp_empty_table).empty());
}

TEST_CASE("a delivery is a message only when it was sent to a topic") {
  const auto message = delivered_message("amq.topic", "snet.t.cmd.a1", "{}", {{"k", "v"}});
  REQUIRE(message.has_value());
  CHECK(message->topic == "snet/t/cmd/a1");
  CHECK(message->payload == "{}");
  CHECK(message->headers.at("k") == "v");
  CHECK_FALSE(delivered_message("", "a-queue", "x", {}));  // straight into a queue
  CHECK_FALSE(delivered_message("amq.topic", "", "x", {}));
}

TEST_CASE("a message to publish: its topic, payload size and header names are checked") {
  snet::Message ok{"snet/t/cmd/a1", "{}", false, {{"kind", "lamp"}}};
  CHECK_FALSE(message_problem(ok));
  snet::Message wildcard = ok;
  wildcard.topic = "snet/+/cmd/a1";
  CHECK(message_problem(wildcard).value().find("wildcard") != std::string::npos);
  snet::Message huge = ok;
  huge.payload.assign(kMaxAmqpPayload + 1, 'x');
  CHECK(message_problem(huge).value().find("exceeds") != std::string::npos);
  snet::Message nameless = ok;
  nameless.headers[""] = "x";
  CHECK(message_problem(nameless).value().find("header name") != std::string::npos);
  snet::Message heavy = ok;
  heavy.headers["h"] = std::string(kMaxAmqpHeaderBytes, 'x');
  CHECK(message_problem(heavy).value().find("headers of") != std::string::npos);
}
