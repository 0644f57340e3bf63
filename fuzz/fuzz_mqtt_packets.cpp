// Fuzz target: the agents' MQTT client's packet decoder (core/src/mqtt_packets.hpp), fed the
// way AsioMqttBus::consume feeds it: a byte stream from the broker, cut into packets by
// next_packet and each decoded by its type; a ProtocolError drops the connection (the input
// ends there). The first byte picks the mode: even, the rest is such a stream (and the low
// bits of the byte pick the packet size limit); odd, a PUBLISH is encoded from the fields and
// must decode to the same topic, payload, QoS, retain flag and packet id.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "mqtt_packets.hpp"

namespace mqtt = snet::detail::mqtt;

namespace {

void decode(const mqtt::Packet& packet) {
  switch (packet.type) {
    case mqtt::Type::connack:
      (void)mqtt::decode_connack(packet);
      (void)mqtt::connack_session_present(packet);
      return;
    case mqtt::Type::suback:
      (void)mqtt::decode_id(packet);
      (void)mqtt::suback_granted(packet);
      return;
    case mqtt::Type::publish: {
      const mqtt::Publish p = mqtt::decode_publish(packet);
      SNET_FUZZ_CHECK(p.qos >= 0 && p.qos <= 2);
      SNET_FUZZ_CHECK(p.topic.size() + p.payload.size() <= packet.body.size());
      // Both are views into the packet.
      SNET_FUZZ_CHECK(p.topic.data() >= packet.body.data() &&
                      p.topic.data() + p.topic.size() <= packet.body.data() + packet.body.size());
      SNET_FUZZ_CHECK(p.payload.data() + p.payload.size() ==
                      packet.body.data() + packet.body.size());
      return;
    }
    case mqtt::Type::puback:
      (void)mqtt::decode_id(packet);
      return;
    default:
      return;
  }
}

void stream(std::uint8_t mode, std::string_view bytes) {
  // As the client: 1 MiB, or a small limit so the limit's path is reached too.
  const std::size_t max_size = (mode & 0x2) != 0 ? std::size_t{1} << 20 : (mode >> 2);
  std::size_t offset = 0;
  try {
    while (auto next = mqtt::next_packet(bytes.substr(offset), max_size)) {
      SNET_FUZZ_CHECK(next->second >= 2 && next->second <= bytes.size() - offset);
      SNET_FUZZ_CHECK(next->first.body.size() <= max_size);
      offset += next->second;
      decode(next->first);
    }
  } catch (const mqtt::ProtocolError&) {
    return;  // the client drops the connection
  }
}

void publish_round_trip(std::uint8_t mode, snet::fuzz::Fields& in) {
  const int qos = (mode >> 1) % 2;
  const bool retain = (mode & 0x4) != 0;
  const std::uint16_t id = static_cast<std::uint16_t>(in.byte() << 8 | in.byte());
  const std::string_view topic = in.long_string();
  const std::string_view payload = in.rest();
  std::string packet = mqtt::encode_publish(topic, payload, qos, retain, id);
  if ((mode & 0x8) != 0) mqtt::mark_duplicate(packet);
  const auto next = mqtt::next_packet(packet, std::size_t{1} << 20);
  SNET_FUZZ_CHECK(next.has_value() && next->second == packet.size());
  SNET_FUZZ_CHECK(next->first.type == mqtt::Type::publish);
  const mqtt::Publish p = mqtt::decode_publish(next->first);
  SNET_FUZZ_CHECK(p.topic == topic && p.payload == payload);
  SNET_FUZZ_CHECK(p.qos == qos && p.retain == retain);
  SNET_FUZZ_CHECK(qos == 0 || p.id == id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  snet::fuzz::Fields in(data, size);
  const std::uint8_t mode = in.byte();
  if ((mode & 1) == 0) {
    stream(mode, in.rest());
  } else {
    publish_round_trip(mode, in);
  }
  return 0;
}
