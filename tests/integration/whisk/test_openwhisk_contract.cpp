// The contract test: our OpenWhisk client and snet-whisk are each held to what Apache
// OpenWhisk documents (openwhisk_documented.hpp), never to each other, so they cannot drift
// away from the real API together.
//   - The client talks to a scripted peer that answers exactly as the documentation shows.
//   - snet-whisk is asked what the documentation asks and must answer as documented.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

#include <doctest/doctest.h>

#include "openwhisk_documented.hpp"
#include "snet/http_server.hpp"
#include "snet/metrics.hpp"
#include "snet/net.hpp"
#include "whisk_fixture.hpp"

using namespace snet;
using namespace snet::openwhisk;
using namespace snet::test;
using nlohmann::json;
using openwhisk::OpenWhiskCompute;
using snet::ComputeResult;
namespace doc = snet::test::documented;

namespace {

// A scripted OpenWhisk: records every request and answers from a queue of responses (the last
// one repeats). A response with status 0 is held back until release() (a slow server).
class ScriptedOpenWhisk {
 public:
  explicit ScriptedOpenWhisk(std::deque<http::Response> script) : script_(std::move(script)) {
    server_ = std::make_unique<http::Server>(http::ServerOptions{},
                                             [this](http::Request request, http::Reply reply) {
                                               std::lock_guard lock(mutex_);
                                               requests_.push_back(request);
                                               http::Response next = script_.front();
                                               if (script_.size() > 1) script_.pop_front();
                                               if (next.status == 0) {
                                                 held_.push_back(std::move(reply));
                                               } else {
                                                 reply(std::move(next));
                                               }
                                             });
    server_->start();
  }
  ~ScriptedOpenWhisk() {
    release(http::json_response(200, {{"commands", json::object()}}));
    server_->stop();
  }
  std::string apihost() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::vector<http::Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  void release(const http::Response& response) {
    std::vector<http::Reply> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& reply : held) reply(response);
  }

 private:
  std::mutex mutex_;
  std::deque<http::Response> script_;
  std::vector<http::Request> requests_;
  std::vector<http::Reply> held_;
  std::unique_ptr<http::Server> server_;
};

http::Response answer(int status, const std::string& body) {
  http::Response r;
  r.status = status;
  r.body = body;
  return r;
}

openwhisk::OpenWhiskOptions client_for(const std::string& apihost) {
  openwhisk::OpenWhiskOptions options;
  options.server = {apihost, "user:pass", "_"};
  options.deadline = 10s;
  options.backoff = 10ms;
  options.poll_interval = 20ms;
  return options;
}

const char* const kResultBody = R"({"commands": {"lamp-1": {"on": true}}})";

}  // namespace

TEST_CASE("client: a press is POSTed to the documented path with Basic auth and the contract") {
  ScriptedOpenWhisk peer({answer(doc::kOk, kResultBody)});
  Metrics metrics;
  OpenWhiskCompute compute(client_for(peer.apihost()), metrics);
  auto request = press("flip_switch", {target("lamp-1", false)});
  request.button_attrs["zone"] = "hall";
  const ComputeResult result = invoke_and_wait(compute, request);
  REQUIRE(result.error.empty());
  CHECK(result.commands == std::vector<std::pair<std::string, bool>>{{"lamp-1", true}});

  const auto requests = peer.requests();
  REQUIRE(requests.size() == 1);
  const auto& sent = requests[0];
  CHECK(sent.method == "POST");
  CHECK(sent.path == doc::action_path("flip_switch"));
  CHECK(sent.target == doc::action_path("flip_switch") + "?" + doc::kBlockingResultQuery);
  CHECK(sent.header("authorization") == "Basic dXNlcjpwYXNz");  // base64("user:pass")
  CHECK(sent.header("content-type") == "application/json");
  const json params = json::parse(sent.body);
  CHECK(params["button"] == "button-1");
  CHECK(params["press_id"] == request.press_id);
  CHECK(params["press_ts"] == request.press_ts);
  CHECK(params["topology"] == "whisk-test");
  CHECK(params["targets"] == json::parse(R"([{"id": "lamp-1", "on": false, "attrs": {}}])"));
  CHECK(params["attrs"] == json::parse(R"({"zone": "hall"})"));
}

TEST_CASE(
    "client: both http:// clients (direct and curl) send the same request, reuse connections") {
  for (const bool curl : {false, true}) {
    CAPTURE(curl);
    ScriptedOpenWhisk peer({answer(doc::kOk, kResultBody)});
    Metrics metrics;
    auto options = client_for(peer.apihost());
    options.curl_for_http = curl;
    OpenWhiskCompute compute(options, metrics);
    for (int i = 0; i < 3; ++i) {  // one after another: the later ones on a kept-alive connection
      const ComputeResult result =
          invoke_and_wait(compute, press("flip_switch", {target("lamp-1")}));
      INFO(result.error);
      REQUIRE(result.error.empty());
      CHECK(result.commands == std::vector<std::pair<std::string, bool>>{{"lamp-1", true}});
    }
    const auto requests = peer.requests();
    REQUIRE(requests.size() == 3);
    for (const auto& sent : requests) {
      CHECK(sent.target == doc::action_path("flip_switch") + "?" + doc::kBlockingResultQuery);
      CHECK(sent.header("authorization") == "Basic dXNlcjpwYXNz");
      CHECK(sent.header("content-type") == "application/json");
      CHECK(json::parse(sent.body)["button"] == "button-1");
    }
    CHECK(requests[1].remote == requests[0].remote);  // the same keep-alive connection
    CHECK(requests[2].remote == requests[0].remote);
  }
}

namespace {

// Reads one HTTP request (headers and Content-Length body) from `fd`; false on EOF or timeout.
bool read_request(int fd) {
  std::string in;
  char buffer[4096];
  while (true) {
    const auto end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      const auto at = in.find("Content-Length: ");
      const std::size_t length = at == std::string::npos ? 0 : std::stoul(in.substr(at + 16));
      if (in.size() >= end + 4 + length) return true;
    }
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    in.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

TEST_CASE("client: a kept-alive connection the server closed is retried once on a new one") {
  // The race curl also handles: the server closes an idle connection just as the next request
  // goes out on it. This server answers one request per connection with keep-alive, then reads
  // the next request on it and closes without answering.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  REQUIRE(::listen(listener, 8) == 0);
  const timeval bound{5, 0};  // every wait of the server bounded
  ::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  std::atomic<int> connections{0};
  std::thread server([&] {
    const std::string body = kResultBody;
    const std::string answer =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    for (int i = 0; i < 2; ++i) {
      const int fd = ::accept(listener, nullptr, nullptr);
      if (fd < 0) return;
      ++connections;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
      if (read_request(fd)) ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      if (i == 0) read_request(fd);  // the second press arrives here and is dropped
      ::close(fd);
    }
  });
  {
    Metrics metrics;
    OpenWhiskCompute compute(
        client_for("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port))), metrics);
    for (int i = 0; i < 2; ++i) {
      const ComputeResult r = invoke_and_wait(compute, press("flip_switch", {target("lamp-1")}));
      INFO(r.error);
      CHECK(r.error.empty());
    }
    CHECK(metric_value(metrics.prometheus(),
                       "snet_openwhisk_retries_total{reason=\"transport\"}") == 0);
  }
  server.join();
  ::close(listener);
  CHECK(connections == 2);
}

TEST_CASE("client: 202 means poll the activation until the record exists, then use its result") {
  ScriptedOpenWhisk peer({
      answer(doc::kAccepted,
             std::string(R"({"activationId": ")") + doc::kDocumentedActivationId + "\"}"),
      answer(doc::kNotFound,
             std::string(R"({"error": ")") + doc::kNotFoundText + R"(", "code": "x"})"),
      answer(doc::kNotFound,
             std::string(R"({"error": ")") + doc::kNotFoundText + R"(", "code": "x"})"),
      answer(doc::kOk, doc::kDocumentedRecord),
  });
  Metrics metrics;
  OpenWhiskCompute compute(client_for(peer.apihost()), metrics);
  const ComputeResult result = invoke_and_wait(compute, press("hello", {target("lamp-1")}));
  INFO(result.error);
  REQUIRE(result.error.empty());
  CHECK(result.commands == std::vector<std::pair<std::string, bool>>{{"lamp-1", true}});
  const auto requests = peer.requests();
  REQUIRE(requests.size() == 4);
  for (std::size_t i = 1; i < requests.size(); ++i) {
    CHECK(requests[i].method == "GET");
    CHECK(requests[i].path == doc::activation_path(doc::kDocumentedActivationId));
    CHECK(requests[i].header("authorization") == "Basic dXNlcjpwYXNz");
  }
}

TEST_CASE("client: 502 carries the action's error, 401 and 404 name action and host, unretried") {
  SUBCASE("502") {
    ScriptedOpenWhisk peer({answer(doc::kBadGateway, R"({"error": "lamp-9 is unreachable"})")});
    Metrics metrics;
    OpenWhiskCompute compute(client_for(peer.apihost()), metrics);
    const ComputeResult r = invoke_and_wait(compute, press("scene", {target("lamp-1")}));
    CHECK(r.error.find("'scene'") != std::string::npos);
    CHECK(r.error.find("lamp-9 is unreachable") != std::string::npos);
    CHECK(peer.requests().size() == 1);
  }
  SUBCASE("502 with a serialized JS error") {
    ScriptedOpenWhisk peer(
        {answer(doc::kBadGateway,
                R"({"error": {"name": "Error", "message": "bad state", "stack": "..."}})")});
    Metrics metrics;
    OpenWhiskCompute compute(client_for(peer.apihost()), metrics);
    const ComputeResult r = invoke_and_wait(compute, press("scene", {target("lamp-1")}));
    CHECK(r.error.find("bad state") != std::string::npos);
  }
  for (int status : {doc::kUnauthorized, 403, doc::kNotFound}) {
    CAPTURE(status);
    ScriptedOpenWhisk peer({answer(
        status, std::string(R"({"error": ")") + doc::kAuthInvalidText + R"(", "code": "abc"})")});
    Metrics metrics;
    OpenWhiskCompute compute(client_for(peer.apihost()), metrics);
    const ComputeResult r = invoke_and_wait(compute, press("scene", {target("lamp-1")}));
    CHECK(r.error.find("'scene'") != std::string::npos);
    CHECK(r.error.find(peer.apihost()) != std::string::npos);
    CHECK(r.error.find(std::to_string(status)) != std::string::npos);
    CHECK(peer.requests().size() == 1);
  }
}

TEST_CASE("client: 429 is retried with back-off, a bounded number of times") {
  const std::string throttled = std::string(R"({"error": ")") + doc::kThrottledPrefix +
                                R"( (count: 31, allowed: 30).", "code": "t"})";
  SUBCASE("then succeeds") {
    ScriptedOpenWhisk peer({answer(doc::kTooManyRequests, throttled),
                            answer(doc::kTooManyRequests, throttled),
                            answer(doc::kOk, kResultBody)});
    Metrics metrics;
    OpenWhiskCompute compute(client_for(peer.apihost()), metrics);
    const ComputeResult r = invoke_and_wait(compute, press("flip", {target("lamp-1")}));
    CHECK(r.error.empty());
    CHECK(peer.requests().size() == 3);
  }
  SUBCASE("gives up after max_attempts") {
    ScriptedOpenWhisk peer({answer(doc::kTooManyRequests, throttled)});
    Metrics metrics;
    auto options = client_for(peer.apihost());
    options.max_attempts = 3;
    OpenWhiskCompute compute(options, metrics);
    const ComputeResult r = invoke_and_wait(compute, press("flip", {target("lamp-1")}));
    CHECK(r.error.find("429") != std::string::npos);
    CHECK(r.error.find("3 attempt") != std::string::npos);
    CHECK(peer.requests().size() == 3);
  }
}

TEST_CASE("client: no server is a bounded number of attempts, then an error naming the host") {
  Metrics metrics;
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(free_port());
  auto options = client_for(nowhere);
  options.max_attempts = 3;
  OpenWhiskCompute compute(options, metrics);
  const ComputeResult r = invoke_and_wait(compute, press("flip", {target("lamp-1")}));
  INFO(r.error);
  CHECK(r.error.find("cannot reach") != std::string::npos);
  CHECK(r.error.find(nowhere) != std::string::npos);
  CHECK(r.error.find("3 attempt") != std::string::npos);
  CHECK(metric_value(metrics.prometheus(), "snet_openwhisk_retries_total{reason=\"transport\"}") ==
        2);
}

TEST_CASE("client: presses beyond the in-flight and queue bounds fail at once, not pile up") {
  ScriptedOpenWhisk peer({answer(0, "")});  // holds every request until released
  Metrics metrics;
  auto options = client_for(peer.apihost());
  options.max_in_flight = 2;
  options.max_queued = 1;
  OpenWhiskCompute compute(options, metrics);
  std::atomic<int> answered{0};
  for (int i = 0; i < 3; ++i) {
    compute.invoke(press("flip", {target("lamp-1")}), [&](ComputeResult) { ++answered; });
  }
  REQUIRE(eventually([&] { return peer.requests().size() == 2; }, 5s));
  const auto started = std::chrono::steady_clock::now();
  const ComputeResult rejected = invoke_and_wait(compute, press("flip", {target("lamp-1")}), 1s);
  CHECK(std::chrono::steady_clock::now() - started < 100ms);
  CHECK(rejected.error.find("rejected") != std::string::npos);
  CHECK(answered.load() == 0);
  peer.release(answer(doc::kOk, kResultBody));  // the two in flight end, the queued one goes
  CHECK(eventually(
      [&] {
        peer.release(answer(doc::kOk, kResultBody));
        return answered.load() == 3;
      },
      5s));
  CHECK(metric_value(metrics.prometheus(),
                     "snet_openwhisk_invocations_total{outcome=\"rejected\"}") == 1);
}

TEST_CASE("client: a server that never answers fails each press at its deadline, queued ones too") {
  ScriptedOpenWhisk peer({answer(0, "")});
  Metrics metrics;
  auto options = client_for(peer.apihost());
  options.deadline = 300ms;
  options.max_in_flight = 1;  // the others wait for the one slot, which is never given back
  OpenWhiskCompute compute(options, metrics);
  std::mutex mutex;
  std::vector<std::string> errors;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    compute.invoke(press("flip", {target("lamp-1")}), [&](ComputeResult r) {
      std::lock_guard lock(mutex);
      errors.push_back(r.error);
    });
  }
  REQUIRE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return errors.size() == 3;
      },
      5s));
  CHECK(std::chrono::steady_clock::now() - started < 1500ms);  // not one deadline after another
  for (const auto& error : errors) {
    CAPTURE(error);
    CHECK(error.find("'flip'") != std::string::npos);
    CHECK(error.find("300 ms") != std::string::npos);
  }
}

TEST_CASE("client: pending invocations end with an error when the client is destroyed") {
  ScriptedOpenWhisk peer({answer(0, "")});
  Metrics metrics;
  std::atomic<int> cancelled{0};
  {
    OpenWhiskCompute compute(client_for(peer.apihost()), metrics);
    for (int i = 0; i < 3; ++i) {
      compute.invoke(press("flip", {target("lamp-1")}), [&](ComputeResult r) {
        if (r.error.find("shutting down") != std::string::npos) ++cancelled;
      });
    }
    REQUIRE(eventually([&] { return peer.requests().size() == 3; }, 5s));
  }
  CHECK(cancelled.load() == 3);
}

// ---- snet-whisk answers as OpenWhisk documents ------------------------------------------------

TEST_CASE("snet-whisk: the documented create, invoke and activation exchanges") {
  WhiskServer whisk;
  // [R] the documented create request, body and all (kind nodejs:6 runs on our Node.js).
  const json create = {{"namespace", "_"},
                       {"name", "hello"},
                       {"exec",
                        {{"kind", "nodejs:6"},
                         {"code",
                          "function main(params) { console.log('hi ' + params.name); "
                          "return {payload:\"Hello \"+params.name}}"}}}};
  const auto created =
      whisk.call("PUT", doc::action_path("hello") + "?" + doc::kOverwriteQuery, create.dump());
  REQUIRE(created.status == doc::kOk);
  CHECK(json::parse(created.body)["name"] == "hello");
  CHECK(json::parse(created.body)["exec"]["kind"] == "nodejs:6");

  SUBCASE("blocking: the activation record with every documented field") {
    const auto reply =
        whisk.call("POST", doc::action_path("hello") + "?blocking=true", R"({"name": "John"})");
    REQUIRE(reply.status == doc::kOk);
    const json record = json::parse(reply.body);
    for (const char* field : doc::kRecordFields) {
      CAPTURE(field);
      CHECK(record.contains(field));
    }
    for (const char* field : doc::kResponseFields) {
      CAPTURE(field);
      CHECK(record["response"].contains(field));
    }
    CHECK(record["response"]["result"] == json::parse(R"({"payload": "Hello John"})"));
    CHECK(record["response"]["status"] == doc::kStatusSuccess);
    CHECK(record["response"]["statusCode"] == 0);
    CHECK(record["response"]["success"] == true);
    CHECK(record["name"] == "hello");
    CHECK(record["duration"] == record["end"].get<long long>() - record["start"].get<long long>());

    // [R] "To get all the details of an activation including results and logs".
    const auto fetched = whisk.call("GET", doc::activation_path(record["activationId"]));
    REQUIRE(fetched.status == doc::kOk);
    const json full = json::parse(fetched.body);
    CHECK(full["response"] == record["response"]);
    REQUIRE(full["logs"].size() == 1);
    CHECK(full["logs"][0].get<std::string>().find("stdout: hi John") != std::string::npos);
  }
  SUBCASE("result=true: just the result") {
    const auto reply = whisk.call(
        "POST", doc::action_path("hello") + "?" + doc::kBlockingResultQuery, R"({"name": "John"})");
    REQUIRE(reply.status == doc::kOk);
    CHECK(json::parse(reply.body) == json::parse(R"({"payload": "Hello John"})"));
  }
  SUBCASE("non-blocking: 202 with the activation id; the record appears once done") {
    const auto reply = whisk.call("POST", doc::action_path("hello"), R"({"name": "Ann"})");
    REQUIRE(reply.status == doc::kAccepted);
    const json body = json::parse(reply.body);
    REQUIRE(body.contains("activationId"));
    CHECK(body.size() == 1);
    CHECK(eventually(
        [&] {
          const auto r = whisk.call("GET", doc::activation_path(body["activationId"]));
          return r.status == doc::kOk &&
                 json::parse(r.body)["response"]["result"]["payload"] == "Hello Ann";
        },
        10s));
  }
  SUBCASE("errors: 404, 409 and 401 with OpenWhisk's bodies") {
    const auto missing = whisk.call("POST", doc::action_path("nope") + "?blocking=true");
    CHECK(missing.status == doc::kNotFound);
    CHECK(json::parse(missing.body)["error"] == doc::kNotFoundText);
    CHECK(json::parse(missing.body).contains("code"));
    CHECK(whisk.call("GET", doc::activation_path("0123456789abcdef0123456789abcdef")).status ==
          doc::kNotFound);

    const auto again = whisk.call("PUT", doc::action_path("hello"), create.dump());
    CHECK(again.status == doc::kConflict);
    CHECK(json::parse(again.body)["error"] == doc::kConflictText);

    const auto intruder = openwhisk::http_call("GET", whisk.apihost() + doc::kActionsCollection,
                                               "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:wrong", "");
    CHECK(intruder.status == doc::kUnauthorized);
    CHECK(json::parse(intruder.body)["error"] == doc::kAuthInvalidText);
  }
  SUBCASE("the collection lists the action") {
    const auto list = whisk.call("GET", doc::kActionsCollection);
    REQUIRE(list.status == doc::kOk);
    const json actions = json::parse(list.body);
    REQUIRE(actions.is_array());
    REQUIRE(actions.size() == 1);
    CHECK(actions[0]["name"] == "hello");
  }
}

TEST_CASE("snet-whisk: failures are 502 with the documented statuses and the error in result") {
  WhiskServer whisk;
  REQUIRE(
      whisk.put_action("refuses", "function main() { return {error: 'lamp is broken'}; }").status ==
      200);
  REQUIRE(whisk
              .put_action("sleeps", "function main() { return new Promise(() => {}); }",
                          {{"timeout", 200}})
              .status == 200);

  const auto app = whisk.call("POST", doc::action_path("refuses") + "?blocking=true");
  CHECK(app.status == doc::kBadGateway);
  const json app_record = json::parse(app.body);
  CHECK(app_record["response"]["status"] == doc::kStatusApplicationError);
  CHECK(app_record["response"]["statusCode"] == 1);
  CHECK(app_record["response"]["success"] == false);
  CHECK(app_record["response"]["result"]["error"] == "lamp is broken");

  const auto dev = whisk.call("POST", doc::action_path("sleeps") + "?" + doc::kBlockingResultQuery);
  CHECK(dev.status == doc::kBadGateway);
  CHECK(json::parse(dev.body)["error"] == doc::timeout_text(200));
  const auto dev_record = whisk.call("POST", doc::action_path("sleeps") + "?blocking=true");
  CHECK(json::parse(dev_record.body)["response"]["status"] == doc::kStatusDeveloperError);
  CHECK(json::parse(dev_record.body)["response"]["statusCode"] == 2);
}

TEST_CASE("snet-whisk: every invoke answer names its activation in the documented header") {
  WhiskServer whisk;
  REQUIRE(whisk.put_action("noop", "function main() { return {}; }").status == 200);
  for (const std::string query : {"", "?blocking=true", "?blocking=true&result=true"}) {
    CAPTURE(query);
    const auto reply = whisk.call("POST", doc::action_path("noop") + query);
    REQUIRE((reply.status == doc::kOk || reply.status == doc::kAccepted));
    const std::string id = reply.headers.count(doc::kActivationIdHeader) != 0
                               ? reply.headers.at(doc::kActivationIdHeader)
                               : "";
    CHECK(id.size() == 32);  // OpenWhisk's ids: 32 hex digits
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    if (reply.status == doc::kAccepted) CHECK(json::parse(reply.body)["activationId"] == id);
  }
}
