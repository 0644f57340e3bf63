#include "mqtt_packets.hpp"

namespace snet::detail::mqtt {
namespace {

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

constexpr std::size_t kMaxString = 0xFFFF;        // a two-byte length
constexpr std::size_t kMaxRemaining = 268435455;  // four bytes of variable length

void put_str(std::string& out, std::string_view s) {
  if (s.size() > kMaxString) {
    throw TooLarge("an MQTT string of " + std::to_string(s.size()) +
                   " bytes (at most 65,535): " + std::string(s.substr(0, 40)) + "...");
  }
  put_u16(out, static_cast<std::uint16_t>(s.size()));
  out.append(s);
}

// Fixed header (type/flags byte and the variable-length remaining length) + body.
std::string frame(std::uint8_t first, const std::string& body) {
  if (body.size() > kMaxRemaining) {
    throw TooLarge("an MQTT packet of " + std::to_string(body.size()) +
                   " bytes (at most 268,435,455)");
  }
  std::string out;
  out.reserve(body.size() + 5);
  out.push_back(static_cast<char>(first));
  std::size_t len = body.size();
  do {
    std::uint8_t byte = len % 128;
    len /= 128;
    if (len > 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (len > 0);
  out += body;
  return out;
}

std::uint16_t get_u16(std::string_view s, std::size_t at) {
  if (s.size() < at + 2) throw ProtocolError("packet too short");
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(s[at]) << 8) |
                                    static_cast<std::uint8_t>(s[at + 1]));
}

}  // namespace

std::string encode_connect(std::string_view client_id, std::uint16_t keepalive_s,
                           const std::optional<Will>& will, bool clean_session,
                           std::string_view user, std::string_view password) {
  std::string body;
  put_str(body, "MQTT");
  body.push_back(4);  // protocol level 3.1.1
  std::uint8_t flags = clean_session ? 0x02 : 0x00;
  if (will) flags |= 0x04 | (1 << 3) | (will->retain ? 0x20 : 0);  // will at QoS 1
  if (!user.empty()) flags |= 0x80 | (password.empty() ? 0 : 0x40);
  body.push_back(static_cast<char>(flags));
  put_u16(body, keepalive_s);
  put_str(body, client_id);
  if (will) {
    put_str(body, will->topic);
    put_str(body, will->payload);
  }
  if (!user.empty()) {
    put_str(body, user);
    if (!password.empty()) put_str(body, password);
  }
  return frame(0x10, body);
}

std::string encode_subscribe(std::uint16_t id,
                             const std::vector<std::pair<std::string, int>>& filters) {
  std::string body;
  put_u16(body, id);
  for (const auto& [filter, qos] : filters) {
    put_str(body, filter);
    body.push_back(static_cast<char>(qos));
  }
  return frame(0x82, body);
}

std::string encode_unsubscribe(std::uint16_t id, const std::vector<std::string>& filters) {
  std::string body;
  put_u16(body, id);
  for (const auto& filter : filters) put_str(body, filter);
  return frame(0xA2, body);
}

std::string encode_publish(std::string_view topic, std::string_view payload, int qos, bool retain,
                           std::uint16_t id) {
  std::string body;
  body.reserve(topic.size() + payload.size() + 4);
  put_str(body, topic);
  if (qos > 0) put_u16(body, id);
  body.append(payload);
  return frame(static_cast<std::uint8_t>(0x30 | (qos << 1) | (retain ? 1 : 0)), body);
}

void mark_duplicate(std::string& publish_packet) {
  if (!publish_packet.empty()) publish_packet[0] = static_cast<char>(publish_packet[0] | 0x08);
}

std::string encode_puback(std::uint16_t id) {
  std::string body;
  put_u16(body, id);
  return frame(0x40, body);
}

std::string encode_pingreq() {
  return std::string("\xC0\x00", 2);
}
std::string encode_disconnect() {
  return std::string("\xE0\x00", 2);
}

std::optional<std::pair<Packet, std::size_t>> next_packet(std::string_view stream,
                                                          std::size_t max_size) {
  if (stream.size() < 2) return std::nullopt;
  std::size_t length = 0, multiplier = 1, at = 1;
  while (true) {
    if (at >= stream.size()) return std::nullopt;
    if (at > 4) throw ProtocolError("remaining length longer than 4 bytes");
    const auto byte = static_cast<std::uint8_t>(stream[at++]);
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) == 0) break;
  }
  if (length > max_size) {
    throw ProtocolError("packet of " + std::to_string(length) + " bytes exceeds the limit");
  }
  if (stream.size() < at + length) return std::nullopt;
  const auto first = static_cast<std::uint8_t>(stream[0]);
  Packet packet{static_cast<Type>(first >> 4), static_cast<std::uint8_t>(first & 0x0f),
                stream.substr(at, length)};
  return std::make_pair(packet, at + length);
}

Publish decode_publish(const Packet& packet) {
  Publish out;
  out.qos = (packet.flags >> 1) & 0x03;
  // MQTT 3.1.1, 3.3.1.2: both QoS bits set is malformed, and the connection must be closed.
  if (out.qos == 3) throw ProtocolError("PUBLISH with QoS 3");
  out.retain = (packet.flags & 0x01) != 0;
  const std::uint16_t topic_len = get_u16(packet.body, 0);
  std::size_t at = 2 + topic_len;
  if (packet.body.size() < at) throw ProtocolError("PUBLISH topic overruns the packet");
  out.topic = packet.body.substr(2, topic_len);
  if (out.qos > 0) {
    out.id = get_u16(packet.body, at);
    at += 2;
  }
  out.payload = packet.body.substr(at);
  return out;
}

std::uint16_t decode_id(const Packet& packet) {
  return get_u16(packet.body, 0);
}

int decode_connack(const Packet& packet) {
  if (packet.body.size() < 2) throw ProtocolError("CONNACK too short");
  return static_cast<std::uint8_t>(packet.body[1]);
}

bool connack_session_present(const Packet& packet) {
  return !packet.body.empty() && (static_cast<std::uint8_t>(packet.body[0]) & 0x01) != 0;
}

bool suback_granted(const Packet& packet) {
  for (std::size_t i = 2; i < packet.body.size(); ++i) {
    if (static_cast<std::uint8_t>(packet.body[i]) == 0x80) return false;
  }
  return packet.body.size() > 2;
}

}  // namespace snet::detail::mqtt
