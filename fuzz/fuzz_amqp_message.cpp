// Fuzz target: the AMQP bus's delivery -> Message mapping (core/src/amqp_message.hpp,
// amqp_topics.hpp), fed what a delivery carries: exchange, routing key, the basic properties
// as the broker encodes them (decoded by rabbitmq-c as the bus's read does; their header table
// becomes Message::headers) and the body. A delivered message goes where a service sends it:
// its topic is parsed (snet/<topology>/<kind>/<device>) and its payload by that kind's parser.
// Input: [u8 n][exchange][u8 n][routing key][u16 n][basic properties][body].
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <amqp.h>
#include <amqp_framing.h>

#include "amqp_message.hpp"
#include "amqp_topics.hpp"
#include "fuzz_support.hpp"
#include "snet/link.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace {

using namespace snet::detail;

std::map<std::string, std::string> decoded_headers(std::string_view encoded) {
  std::map<std::string, std::string> headers;
  amqp_pool_t pool;
  init_amqp_pool(&pool, 4096);
  void* decoded = nullptr;
  const amqp_bytes_t bytes{encoded.size(), const_cast<char*>(encoded.data())};
  if (amqp_decode_properties(AMQP_BASIC_CLASS, &pool, bytes, &decoded) >= 0 && decoded != nullptr) {
    const auto* properties = static_cast<const amqp_basic_properties_t*>(decoded);
    if ((properties->_flags & AMQP_BASIC_HEADERS_FLAG) != 0) {
      headers = header_texts(properties->headers);
      SNET_FUZZ_CHECK(headers.size() <= static_cast<std::size_t>(properties->headers.num_entries));
    }
  }
  empty_amqp_pool(&pool);
  return headers;
}

// What the relayer, state service and agents do with a message of each kind.
void handle(const snet::Message& message) {
  const auto topic = snet::topics::parse(message.topic);
  if (!topic) return;  // not ours: ignored
  SNET_FUZZ_CHECK(!topic->topology.empty() && !topic->device.empty());
  SNET_FUZZ_CHECK(snet::topics::make(topic->topology, topic->kind, topic->device) == message.topic);
  try {
    switch (topic->kind) {
      case snet::topics::Kind::press:
      case snet::topics::Kind::trigger:
        (void)snet::parse_press(message.payload);
        break;
      case snet::topics::Kind::cmd:
        (void)snet::parse_command(message.payload);
        break;
      case snet::topics::Kind::state:
        (void)snet::parse_state(message.payload);
        break;
      case snet::topics::Kind::status:
        (void)snet::parse_status(message.payload);
        break;
      case snet::topics::Kind::event:
        (void)snet::parse_press_error(message.payload);
        break;
      case snet::topics::Kind::control:
        (void)snet::parse_device_control(message.payload);
        break;
      default:
        break;
    }
  } catch (const snet::BadMessage&) {
    // refused and counted by the service
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  snet::fuzz::Fields in(data, size);
  const std::string_view exchange = in.short_string();
  const std::string_view routing_key = in.short_string();
  auto headers = decoded_headers(in.long_string());
  const std::string_view body = in.rest();

  const auto message =
      delivered_message(exchange, routing_key, std::string(body), std::move(headers));
  SNET_FUZZ_CHECK(message.has_value() == (!exchange.empty() && !routing_key.empty()));
  if (!message) return 0;
  SNET_FUZZ_CHECK(message->topic.size() == routing_key.size() && message->payload == body);
  if (routing_key.find('/') == std::string_view::npos) {
    SNET_FUZZ_CHECK(routing_key_for_topic(message->topic) == routing_key);
  }
  handle(*message);

  // Published again (a service forwarding it): refused with a reason, or a valid routing key.
  if (!message_problem(*message)) {
    const std::string key = routing_key_for_topic(message->topic);
    SNET_FUZZ_CHECK(!key.empty() && key.size() <= kMaxRoutingKey);
    SNET_FUZZ_CHECK(key.find_first_of("#") == std::string::npos);
  }
  // The routing key as a subscription filter (filters come from configuration and the API).
  if (!filter_problem(routing_key)) {
    const std::string binding = binding_key_for_filter(routing_key);
    SNET_FUZZ_CHECK(!binding.empty() && binding.size() <= kMaxRoutingKey);
    SNET_FUZZ_CHECK(binding.find('+') == std::string::npos);
  }
  return 0;
}
