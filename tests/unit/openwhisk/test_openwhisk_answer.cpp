// What the relayer's OpenWhisk client makes of each answer (openwhisk_answer.hpp), no server:
// the answers Apache OpenWhisk documents for a blocking invoke and an activation poll.
#include <doctest/doctest.h>

#include <string>

#include "openwhisk_answer.hpp"

using namespace snet;
using namespace snet::openwhisk;
using Kind = Verdict::Kind;
using Commands = std::vector<std::pair<std::string, bool>>;

namespace {

const std::string kHost = "https://ow.example:443";
const std::string kNs = "guest";

ComputeRequest lamp_press() {
  ComputeRequest r;
  r.topology = "t";
  r.button = "b";
  r.action = "flip_switch";
  r.press_id = "p1";
  r.targets = {TargetInfo{"lamp", false, {}}};
  return r;
}

Transport answered(long status) {
  return Transport{true, false, "", status};
}

Verdict invoke(const Transport& t, const std::string& body, bool out_of_time = false) {
  static const ComputeRequest request = lamp_press();
  return classify_invoke_answer(t, body, {request, kHost, kNs, std::chrono::milliseconds(3000)},
                                out_of_time);
}

Verdict poll(const Transport& t, const std::string& body) {
  static const ComputeRequest request = lamp_press();
  return classify_poll_answer(t, body, {request, kHost, kNs, std::chrono::milliseconds(3000)},
                              "act-1");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("invoke: 200 is the action's result, 502 the action's own error, both final") {
  Verdict v = invoke(answered(200), R"({"commands": {"lamp": {"on": true}}})");
  CHECK(v.kind == Kind::result);
  CHECK(v.result.commands == Commands{{"lamp", true}});
  CHECK(v.result.error.empty());

  v = invoke(answered(502), R"({"error": "the lamp is on fire"})");
  CHECK(v.kind == Kind::result);
  CHECK(v.result.commands.empty());
  CHECK(contains(v.result.error, "the lamp is on fire"));

  v = invoke(answered(200), "<html>proxy</html>");
  CHECK(v.kind == Kind::failed);
  CHECK(contains(v.error, "not JSON: <html>proxy</html>"));
}

TEST_CASE("invoke: 202 means poll the activation it names") {
  Verdict v = invoke(answered(202), R"({"activationId": "a1b2"})");
  CHECK(v.kind == Kind::poll);
  CHECK(v.activation_id == "a1b2");
  for (const char* body : {"{}", R"({"activationId": 7})", "not json", "[]"}) {
    CAPTURE(body);
    v = invoke(answered(202), body);
    CHECK(v.kind == Kind::failed);
    CHECK(contains(v.error, "202 without an activationId"));
  }
}

TEST_CASE("invoke: 429 and 503 are retried, no answer is retried, a timeout at the deadline ends") {
  Verdict v = invoke(answered(429), R"({"error": "Too many requests", "code": 4})");
  CHECK(v.kind == Kind::retry_throttled);
  CHECK(contains(v.error, "kept refusing action 'flip_switch' at " + kHost));
  CHECK(contains(v.error, "HTTP 429: Too many requests"));
  CHECK(invoke(answered(503), "").kind == Kind::retry_throttled);

  const Transport refused{false, false, "Couldn't connect to server", 0};
  v = invoke(refused, "");
  CHECK(v.kind == Kind::retry_transport);
  CHECK(contains(v.error, "cannot reach OpenWhisk for action 'flip_switch'"));
  CHECK(contains(v.error, "Couldn't connect to server"));

  const Transport timed_out{false, true, "Timeout was reached", 0};
  CHECK(invoke(timed_out, "", false).kind == Kind::retry_transport);  // time left: again
  v = invoke(timed_out, "", true);
  CHECK(v.kind == Kind::failed);
  CHECK(contains(v.error, "did not answer within 3000 ms"));
}

TEST_CASE("invoke: 401, 403, 404 and other codes are final errors naming action and host") {
  Verdict v = invoke(answered(401), R"({"error": "The supplied authentication is invalid."})");
  CHECK(v.kind == Kind::failed);
  CHECK(contains(v.error, "refused the credentials for action 'flip_switch' at " + kHost +
                              " (namespace 'guest')"));
  CHECK(contains(v.error, "The supplied authentication is invalid."));
  CHECK(invoke(answered(403), "").kind == Kind::failed);
  v = invoke(answered(404), R"({"error": "The requested resource does not exist."})");
  CHECK(v.kind == Kind::failed);
  CHECK(contains(v.error, "no such action 'flip_switch'"));
  v = invoke(answered(500), std::string(1000, 'x'));
  CHECK(v.kind == Kind::failed);
  CHECK(contains(v.error, "OpenWhisk failed to run"));
  CHECK(v.error.size() < 400);  // a long body is cut
}

TEST_CASE("poll: not there yet, throttled or unreachable means poll again") {
  for (const Transport& t : {answered(404), answered(429), answered(503),
                             Transport{false, false, "Connection reset", 0}}) {
    const Verdict v = poll(t, "");
    CHECK(v.kind == Kind::poll);
    CHECK(v.activation_id == "act-1");
  }
  CHECK(poll(answered(401), "").kind == Kind::failed);
}

TEST_CASE("poll: the record's response is the result, an unsuccessful one without error fails") {
  Verdict v = poll(answered(200), R"({"activationId": "act-1", "response": {"status": "success",
      "success": true, "result": {"commands": [{"target": "lamp", "on": true}]}}})");
  CHECK(v.kind == Kind::result);
  CHECK(v.result.commands == Commands{{"lamp", true}});

  v = poll(answered(200), R"({"response": {"status": "application error", "success": false,
      "result": {"error": "no power"}}})");
  CHECK(v.kind == Kind::result);
  CHECK(contains(v.result.error, "no power"));

  v = poll(answered(200), R"({"response": {"status": "action developer error", "success": false,
      "result": {"commands": {"lamp": {"on": true}}}}})");
  CHECK(v.kind == Kind::result);
  CHECK(v.result.commands.empty());
  CHECK(contains(v.result.error, "ended with status 'action developer error'"));

  v = poll(answered(200), R"({"activationId": "act-1"})");
  CHECK(v.kind == Kind::failed);
  CHECK(contains(v.error, "unexpected answer for activation act-1 of action 'flip_switch'"));
  CHECK(poll(answered(500), "{}").kind == Kind::failed);
}
