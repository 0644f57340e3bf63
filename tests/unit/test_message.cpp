#include <doctest/doctest.h>

#include <string>

#include "snet/message.hpp"

using namespace snet;

TEST_CASE("a press payload may be empty, {} or carry id and ts") {
  CHECK(parse_press("").id.empty());
  CHECK(parse_press("{}").ts == 0);
  const Press p = parse_press(R"({"id":"abc","ts":1700000000000000})");
  CHECK(p.id == "abc");
  CHECK(p.ts == 1700000000000000);
  CHECK(parse_press(to_json(p)).id == "abc");
}

TEST_CASE("bad payloads are rejected with a reason code") {
  struct Case {
    std::string payload, reason;
  };
  const Case cases[] = {
      {"{not json", "malformed_json"},
      {"[1,2]", "wrong_type"},
      {"42", "wrong_type"},
      {R"({"id":7})", "wrong_type"},
      {R"({"ts":"yesterday"})", "wrong_type"},
      {R"({"ts":1.5})", "wrong_type"},
      {std::string(kMaxPayloadBytes + 1, ' '), "oversized"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.payload.substr(0, 40));
    try {
      (void)parse_press(c.payload);
      FAIL("accepted a bad payload");
    } catch (const BadMessage& e) {
      CHECK(e.reason == c.reason);
      CHECK(std::string(e.what()).size() > 5);
    }
  }
}

TEST_CASE("commands carry the desired state and the press id") {
  Command c{true, "p-1", "button-1", 10, 20};
  const Command back = parse_command(to_json(c));
  CHECK(back.on);
  CHECK(back.press_id == "p-1");
  CHECK(back.button == "button-1");
  CHECK(back.relay_ts == 20);
  CHECK_THROWS_AS(parse_command(R"({"press_id":"x"})"), BadMessage);             // no state
  CHECK_THROWS_AS(parse_command(R"({"on":true})"), BadMessage);                  // no press id
  CHECK_THROWS_AS(parse_command(R"({"on":"yes","press_id":"x"})"), BadMessage);  // a blind value
}

TEST_CASE("state reports round-trip") {
  StateReport s{"actuator-1", true, "p-1", "button-1", 1, 2, 3};
  const StateReport back = parse_state(to_json(s));
  CHECK(back.device == "actuator-1");
  CHECK(back.on);
  CHECK(back.applied_ts == 3);
  CHECK_THROWS_AS(parse_state(R"({"on":true})"), BadMessage);
}

TEST_CASE("press ids are unique") {
  CHECK(new_press_id() != new_press_id());
}

TEST_CASE("a device control names an action and devices, anything else is refused by name") {
  const DeviceControl c = parse_device_control(
      R"({"action":"crash","devices":["a1","a2"],"id":"f1","ts":5,"duration_ms":2000})");
  CHECK(c.action == "crash");
  CHECK(c.devices == std::vector<std::string>{"a1", "a2"});
  CHECK(c.duration_ms == 2000);
  CHECK(parse_device_control(to_json(c)).id == "f1");
  struct Case {
    std::string payload, reason;
  };
  const Case cases[] = {
      {R"({"action":"explode","devices":["a"]})", "unknown_action"},
      {R"({"devices":["a"]})", "missing_field"},
      {R"({"action":"offline","devices":[]})", "wrong_type"},
      {R"({"action":"offline","devices":"a"})", "wrong_type"},
      {R"({"action":"offline","devices":[7]})", "wrong_type"},
      {R"({"action":"offline","devices":["a"],"duration_ms":-1})", "wrong_type"},
      {"nope", "malformed_json"},
  };
  for (const auto& bad_case : cases) {
    CAPTURE(bad_case.payload);
    try {
      parse_device_control(bad_case.payload);
      FAIL("accepted");
    } catch (const BadMessage& bad) {
      CHECK(bad.reason == bad_case.reason);
    }
  }
}

TEST_CASE("time stamps from the wire are range-checked, naming the field") {
  const Micros now = now_us();
  const std::string day_ahead = std::to_string(now + kMaxTimestampSkewUs + 60'000'000);
  struct Case {
    std::string field, value, reason;
  };
  const Case cases[] = {
      {"ts", "-1", "bad_timestamp"},
      {"ts", day_ahead, "bad_timestamp"},
      {"ts", "9223372036854775807", "bad_timestamp"},
      {"ts", "18446744073709551615", "bad_timestamp"},  // would wrap to -1 as int64
      {"ts", "1.5", "wrong_type"},
      {"ts", "1e15", "wrong_type"},
      {"ts", "\"1700000000000000\"", "wrong_type"},
  };
  auto reason_of = [](auto parse, const std::string& payload, const std::string& field) {
    try {
      (void)parse(payload);
    } catch (const BadMessage& e) {
      CHECK_MESSAGE(std::string(e.what()).find("'" + field + "'") != std::string::npos, e.what());
      return e.reason;
    }
    return std::string("accepted");
  };
  for (const auto& c : cases) {
    CAPTURE(c.value);
    CHECK(reason_of(parse_press, R"({"ts":)" + c.value + "}", "ts") == c.reason);
    CHECK(reason_of(parse_press_error, R"({"error":"x","ts":)" + c.value + "}", "ts") == c.reason);
    CHECK(reason_of(parse_status, R"({"online":true,"ts":)" + c.value + "}", "ts") == c.reason);
    for (const char* field : {"press_ts", "relay_ts", "applied_ts"}) {
      CHECK(reason_of(parse_state,
                      R"({"device":"a","on":true,")" + std::string(field) + R"(":)" + c.value + "}",
                      field) == c.reason);
    }
    CHECK(reason_of(parse_command, R"({"on":true,"press_id":"p","relay_ts":)" + c.value + "}",
                    "relay_ts") == c.reason);
  }
  // 0 (unknown), an old time, now and a little ahead (another host's clock) pass.
  for (const Micros ok : {Micros{0}, Micros{5}, now, now + 60'000'000}) {
    CHECK(parse_press(R"({"ts":)" + std::to_string(ok) + "}").ts == ok);
    CHECK(parse_state(R"({"device":"a","on":true,"applied_ts":)" + std::to_string(ok) + "}")
              .applied_ts == ok);
  }
  // A duration is no time stamp: its own range.
  CHECK_THROWS_WITH(parse_device_control(R"({"action":"crash","devices":["a"],"duration_ms":-5})"),
                    doctest::Contains("duration_ms"));
}

// Found by fuzz/fuzz_messages.cpp: a press error's text over the limit was cut at a byte count,
// which could split a UTF-8 character; the error then could not be serialised again (nlohmann
// throws on invalid UTF-8), e.g. by a service republishing or storing it.
TEST_CASE("a long error text is cut before a UTF-8 character, never inside one (fuzz)") {
  std::string text = "a";
  for (int i = 0; i < 600; ++i) text += "\xC3\xA9";  // é: two bytes, the limit falls inside one
  const PressError e = parse_press_error(R"({"error":")" + text + R"("})");
  CHECK(e.error.size() == kMaxErrorTextBytes - 1);
  CHECK(e.error == text.substr(0, kMaxErrorTextBytes - 1));
  const PressError again = parse_press_error(to_json(e));  // threw type_error 316 before
  CHECK(again.error == e.error);
  const std::string ascii(2000, 'x');
  CHECK(parse_press_error(R"({"error":")" + ascii + R"("})").error.size() == kMaxErrorTextBytes);
}

TEST_CASE("a reading round-trips, and a reading that is not a finite number is refused by name") {
  Reading in;
  in.device = "thermo-1";
  in.capability = "temperature";
  in.value = 21.25;
  in.unit = "C";
  in.seq = 7;
  in.ts = 1700000000000000;
  const Reading out = parse_reading(to_json(in));
  CHECK(out.device == "thermo-1");
  CHECK(out.capability == "temperature");
  CHECK(out.value == doctest::Approx(21.25));
  CHECK(out.unit == "C");
  CHECK(out.seq == 7);
  CHECK(out.ts == 1700000000000000);
  CHECK(parse_reading(R"({"device":"d","capability":"power","value":3})").value == 3.0);

  struct Case {
    std::string payload, reason, names;
  };
  for (const Case& c : {
           Case{R"({"capability":"t","value":1})", "missing_field", "device"},
           Case{R"({"device":"d","value":1})", "missing_field", "capability"},
           Case{R"({"device":"d","capability":"","value":1})", "missing_field", "capability"},
           Case{R"({"device":"d","capability":"t"})", "missing_field", "value"},
           Case{R"({"device":"d","capability":"t","value":"hot"})", "wrong_type", "value"},
           Case{R"({"device":"d","capability":"t","value":1e999})", "malformed_json", ""},
           Case{R"({"device":"d","capability":"t","value":1,"seq":-1})", "wrong_type", "seq"},
           Case{R"({"device":"d","capability":"t","value":1,"ts":-1})", "bad_timestamp", "ts"},
       }) {
    CAPTURE(c.payload);
    try {
      parse_reading(c.payload);
      FAIL("accepted");
    } catch (const BadMessage& e) {
      CHECK(e.reason == c.reason);
      CHECK(std::string(e.what()).find(c.names) != std::string::npos);
    }
  }
}
