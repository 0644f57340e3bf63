// Private to core: MQTT 3.1.1 packets for the Asio MQTT client (asio_mqtt_bus.hpp): just what
// it needs (CONNECT, SUBSCRIBE, PUBLISH at QoS 0/1, PUBACK, PINGREQ, DISCONNECT out; CONNACK,
// SUBACK, PUBLISH, PUBACK, PINGRESP in). Encoders return the whole packet; the decoder finds
// complete packets in a stream buffer.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace snet::detail::mqtt {

enum class Type : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
};

/// A malformed packet from the broker: the connection is dropped and made again.
struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A field or packet past MQTT's limits: a string of more than 65,535 bytes, a packet of more
/// than 268,435,455. The encoders throw it rather than send a truncated length.
struct TooLarge : std::length_error {
  using std::length_error::length_error;
};

struct Will {
  std::string topic, payload;
  bool retain = false;
};

/// `clean_session` false: the broker keeps the session (subscriptions, queued QoS 1 messages).
/// `user` empty: anonymous (then `password` is not sent either).
std::string encode_connect(std::string_view client_id, std::uint16_t keepalive_s,
                           const std::optional<Will>& will, bool clean_session = true,
                           std::string_view user = {}, std::string_view password = {});
std::string encode_subscribe(std::uint16_t id,
                             const std::vector<std::pair<std::string, int>>& filters);
/// UNSUBSCRIBE (QoS 1 framing, as MQTT 3.1.1 requires) of `filters`.
std::string encode_unsubscribe(std::uint16_t id, const std::vector<std::string>& filters);
std::string encode_publish(std::string_view topic, std::string_view payload, int qos, bool retain,
                           std::uint16_t id);
/// Sets the DUP flag of an encoded PUBLISH (a resend after reconnecting).
void mark_duplicate(std::string& publish_packet);
std::string encode_puback(std::uint16_t id);
std::string encode_pingreq();
std::string encode_disconnect();

struct Packet {
  Type type;
  std::uint8_t flags;     // low nibble of the fixed header
  std::string_view body;  // variable header and payload
};

/// The first complete packet in `stream`, and the bytes it takes; nullopt when more bytes are
/// needed. Throws ProtocolError for a bad length or one above `max_size`.
std::optional<std::pair<Packet, std::size_t>> next_packet(std::string_view stream,
                                                          std::size_t max_size);

struct Publish {
  std::string_view topic, payload;
  int qos = 0;
  bool retain = false;
  std::uint16_t id = 0;  // QoS 1 only
};
Publish decode_publish(const Packet& packet);
/// The packet identifier that opens PUBACK and SUBACK.
std::uint16_t decode_id(const Packet& packet);
/// CONNACK's return code (0 = accepted).
int decode_connack(const Packet& packet);
/// CONNACK's session-present flag: the broker resumed a session it kept for us.
bool connack_session_present(const Packet& packet);
/// Whether a SUBACK granted every subscription (no 0x80 return code).
bool suback_granted(const Packet& packet);

}  // namespace snet::detail::mqtt
