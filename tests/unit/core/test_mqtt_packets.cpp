// The device connections' MQTT 3.1.1 packets, byte for byte against the specification.
#include <doctest/doctest.h>

#include "mqtt_packets.hpp"

using namespace snet::detail::mqtt;

namespace {
std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}
}  // namespace

TEST_CASE("CONNECT carries clean session, keepalive, client id and the will") {
  CHECK(encode_connect("d1", 20, std::nullopt) ==
        bytes({0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 20, 0, 2, 'd', '1'}));
  const std::string with_will = encode_connect("d", 60, Will{"t", "x", true});
  CHECK(static_cast<unsigned char>(with_will[9]) == (0x02 | 0x04 | 0x08 | 0x20));
  CHECK(with_will.substr(with_will.size() - 6) == bytes({0, 1, 't', 0, 1, 'x'}));
}

TEST_CASE("CONNECT carries a user name and password when a login is given") {
  const std::string login = encode_connect("d", 20, std::nullopt, true, "u", "pw");
  CHECK(static_cast<unsigned char>(login[9]) == (0x02 | 0x80 | 0x40));
  CHECK(login.substr(login.size() - 7) == bytes({0, 1, 'u', 0, 2, 'p', 'w'}));
  const std::string user_only = encode_connect("d", 20, std::nullopt, true, "u", "");
  CHECK(static_cast<unsigned char>(user_only[9]) == (0x02 | 0x80));
  CHECK(encode_connect("d", 20, std::nullopt, true, "", "ignored") ==
        encode_connect("d", 20, std::nullopt));
}

TEST_CASE("SUBSCRIBE, UNSUBSCRIBE, PUBLISH, PUBACK, PINGREQ and DISCONNECT encode as specified") {
  CHECK(encode_subscribe(7, {{"a/b", 1}}) == bytes({0x82, 8, 0, 7, 0, 3, 'a', '/', 'b', 1}));
  CHECK(encode_unsubscribe(7, {"a/b", "c"}) ==
        bytes({0xA2, 10, 0, 7, 0, 3, 'a', '/', 'b', 0, 1, 'c'}));
  CHECK(encode_publish("t", "hi", 1, true, 0x0102) == bytes({0x33, 7, 0, 1, 't', 1, 2, 'h', 'i'}));
  CHECK(encode_publish("t", "", 0, false, 0) == bytes({0x30, 3, 0, 1, 't'}));
  std::string again = encode_publish("t", "", 1, false, 1);
  mark_duplicate(again);
  CHECK(static_cast<unsigned char>(again[0]) == 0x3A);
  CHECK(encode_puback(258) == bytes({0x40, 2, 1, 2}));
  CHECK(encode_pingreq() == bytes({0xC0, 0}));
  CHECK(encode_disconnect() == bytes({0xE0, 0}));
}

TEST_CASE("the decoder finds complete packets in a stream, across split reads and long lengths") {
  const std::string publish = encode_publish("snet/x/cmd/a", std::string(300, 'p'), 1, false, 9);
  CHECK(static_cast<unsigned char>(publish[1]) > 127);  // a two-byte remaining length
  const std::string stream = bytes({0x20, 2, 0, 0}) + publish + bytes({0xD0, 0});
  CHECK_FALSE(next_packet(std::string_view(stream).substr(0, 3), 1024));  // incomplete
  auto first = next_packet(stream, 1024);
  REQUIRE(first);
  CHECK(first->first.type == Type::connack);
  CHECK(decode_connack(first->first) == 0);
  auto second = next_packet(std::string_view(stream).substr(first->second), 1024);
  REQUIRE(second);
  CHECK(second->first.type == Type::publish);
  const Publish p = decode_publish(second->first);
  CHECK(p.topic == "snet/x/cmd/a");
  CHECK(p.payload.size() == 300);
  CHECK(p.qos == 1);
  CHECK(p.id == 9);
  auto third = next_packet(std::string_view(stream).substr(first->second + second->second), 1024);
  REQUIRE(third);
  CHECK(third->first.type == Type::pingresp);
}

TEST_CASE("the decoder rejects oversized and malformed packets") {
  CHECK_THROWS_AS(next_packet(encode_publish("t", std::string(2000, 'x'), 0, false, 0), 1024),
                  ProtocolError);
  CHECK_THROWS_AS(next_packet(bytes({0x30, 0xff, 0xff, 0xff, 0xff, 0x01}), 1 << 30), ProtocolError);
  CHECK_THROWS_AS(decode_publish(Packet{Type::publish, 0, bytes({0, 9, 'a'})}), ProtocolError);
  CHECK(suback_granted(Packet{Type::suback, 0, bytes({0, 1, 1, 0})}));
  CHECK_FALSE(suback_granted(Packet{Type::suback, 0, bytes({0, 1, 1, 0x80})}));
}

// Found by fuzz/fuzz_mqtt_packets.cpp: a PUBLISH with both QoS bits set was decoded as "QoS 3"
// and handed on; the specification (3.3.1.2) makes it malformed, so the connection is dropped.
TEST_CASE("a PUBLISH with both QoS bits set is a protocol error (fuzz)") {
  const std::string body = bytes({0, 1, 't', 0, 7, 'x'});
  CHECK_THROWS_WITH_AS(decode_publish(Packet{Type::publish, 0x06, body}),
                       doctest::Contains("QoS 3"), ProtocolError);
  CHECK(decode_publish(Packet{Type::publish, 0x02, body}).id == 7);  // QoS 1 still decodes
  CHECK(decode_publish(Packet{Type::publish, 0x04, body}).qos == 2);
}

TEST_CASE("strings and packets past MQTT's limits are refused, never sent with a cut length") {
  const std::string longest(0xFFFF, 't');
  const std::string too_long(0x10000, 't');
  CHECK(encode_publish(longest, "", 0, false, 0).size() == 1 + 3 + 2 + longest.size());
  CHECK_THROWS_WITH_AS(encode_publish(too_long, "x", 1, false, 1),
                       doctest::Contains("65536 bytes (at most 65,535)"), TooLarge);
  CHECK_THROWS_AS(encode_subscribe(1, {{too_long, 1}}), TooLarge);
  CHECK_THROWS_AS(encode_connect(too_long, 20, std::nullopt), TooLarge);
  CHECK_THROWS_AS(encode_connect("d", 20, Will{"t", too_long, false}), TooLarge);
  CHECK_THROWS_AS(encode_connect("d", 20, std::nullopt, true, "u", too_long), TooLarge);
  // A payload has no two-byte length: a large one is fine up to the packet's limit.
  CHECK(encode_publish("t", too_long, 0, false, 0).size() > too_long.size());
}
