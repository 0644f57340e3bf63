// The relayer's OpenWhisk backend (OpenWhiskCompute) against a real snet-whisk with real
// Node.js workers: the paths a press takes through a serverless action.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>

#include <doctest/doctest.h>

#include "deploy.hpp"
#include "snet/metrics.hpp"
#include "whisk_fixture.hpp"

using namespace snet;
using namespace snet::openwhisk;
using namespace snet::test;
using openwhisk::OpenWhiskCompute;
using snet::ComputeResult;

namespace {

const char* const kSlowAction = R"(
function main(params) {
  return new Promise((resolve) => setTimeout(() => {
    const commands = {};
    for (const t of params.targets) commands[t.id] = { on: true };
    resolve({ commands });
  }, params.attrs.delay_ms ? Number(params.attrs.delay_ms) : 200));
})";

}  // namespace

TEST_CASE("a deployed action turns a press into commands") {
  WhiskServer whisk;
  const auto deployed =
      openwhisk::deploy_actions(source_path("actions"), whisk.apihost(), WhiskServer::auth());
  for (const auto& r : deployed) {
    INFO(r.file, ": ", r.error);
    CHECK(r.ok);
  }
  Metrics metrics;
  OpenWhiskCompute compute(whisk.client_options(), metrics);
  const ComputeResult result = invoke_and_wait(
      compute,
      press("flip_switch", {target("lamp-1", true), target("lamp-2", false), target("lamp-3")}));
  INFO(result.error, "\n", whisk.log());
  REQUIRE(result.error.empty());
  using Commands = std::vector<std::pair<std::string, bool>>;
  CHECK(result.commands == Commands{{"lamp-1", false}, {"lamp-2", true}, {"lamp-3", true}});
  CHECK(metric_value(metrics.prometheus(), "snet_openwhisk_invocations_total{outcome=\"ok\"}") ==
        1);
}

TEST_CASE("an action that throws is an error naming the action and its message") {
  WhiskServer whisk;
  REQUIRE(whisk.put_action("thrower", "function main() { throw new Error('relay 3 is on fire'); }")
              .status == 200);
  REQUIRE(
      whisk.put_action("rejecter", "async function main() { throw new Error('no lamp answers'); }")
          .status == 200);
  Metrics metrics;
  OpenWhiskCompute compute(whisk.client_options(), metrics);

  const ComputeResult thrown = invoke_and_wait(compute, press("thrower", {target("lamp-1")}));
  CHECK(thrown.commands.empty());
  CHECK(thrown.error.find("thrower") != std::string::npos);
  CHECK(thrown.error.find("relay 3 is on fire") != std::string::npos);

  const ComputeResult rejected = invoke_and_wait(compute, press("rejecter", {target("lamp-1")}));
  CHECK(rejected.commands.empty());
  CHECK(rejected.error.find("no lamp answers") != std::string::npos);
  CHECK(metric_value(metrics.prometheus(), "snet_openwhisk_invocations_total{outcome=\"error\"}") ==
        2);
}

TEST_CASE("an action that exceeds its time limit fails, and its worker is replaced") {
  WhiskServer whisk;
  REQUIRE(whisk.put_action("spinner", "function main() { while (true) {} }", {{"timeout", 300}})
              .status == 200);
  REQUIRE(
      whisk
          .put_action("flip",
                      "function main(p) { return {commands: {[p.targets[0].id]: {on: true}}}; }")
          .status == 200);
  Metrics metrics;
  OpenWhiskCompute compute(whisk.client_options(), metrics);
  const auto started = std::chrono::steady_clock::now();
  const ComputeResult result = invoke_and_wait(compute, press("spinner", {target("lamp-1")}));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  INFO(whisk.log());
  CHECK(result.error.find("exceeded its time limits of 300 milliseconds") != std::string::npos);
  CHECK(elapsed < 5s);
  // The stuck worker was killed: the service still runs actions.
  const ComputeResult after = invoke_and_wait(compute, press("flip", {target("lamp-1")}));
  CHECK(after.error.empty());
  CHECK(after.commands.size() == 1);
}

TEST_CASE("an action with a syntax error is refused at deploy with the compiler's text") {
  WhiskServer whisk;
  TempDir dir("whisk-actions");
  {
    std::ofstream(dir.path() + "/broken.js")
        << "function main(params) {\n  return {commands: }\n}\n";
    std::ofstream(dir.path() + "/fine.js") << "function main() { return {commands: {}}; }\n";
  }
  const auto results = openwhisk::deploy_actions(dir.path(), whisk.apihost(), WhiskServer::auth());
  REQUIRE(results.size() == 2);
  CHECK(results[0].name == "broken");
  CHECK_FALSE(results[0].ok);
  CHECK(results[0].status == 400);
  INFO(results[0].error);
  CHECK(results[0].error.find("SyntaxError") != std::string::npos);
  CHECK(results[0].error.find("broken.js:2") != std::string::npos);  // the file's own line
  CHECK(results[1].ok);
  // Nothing was stored under the broken name.
  CHECK(whisk.call("GET", "/api/v1/namespaces/_/actions/broken").status == 404);
}

TEST_CASE("an OpenWhisk that refuses an action's limits.concurrency still gets the action") {
  // Deployments cap limits.concurrency (Apache OpenWhisk's default maximum is 1, snet-whisk's
  // 500): the action is deployed with the deployment's default rather than not at all.
  WhiskServer whisk;
  TempDir dir("whisk-actions");
  std::ofstream(dir.path() + "/eager.js")
      << "// snet:limits {\"timeout\": 5000, \"concurrency\": 1000}\n"
      << "function main() { return {commands: {}}; }\n";
  const auto results = openwhisk::deploy_actions(dir.path(), whisk.apihost(), WhiskServer::auth());
  REQUIRE(results.size() == 1);
  INFO(results[0].error);
  CHECK(results[0].ok);
  const auto action =
      nlohmann::json::parse(whisk.call("GET", "/api/v1/namespaces/_/actions/eager").body);
  CHECK(action["limits"]["timeout"] == 5000);
  CHECK(action["limits"]["concurrency"] == 1);
}

TEST_CASE("wrong credentials give an error naming the host and the action") {
  WhiskServer whisk;
  REQUIRE(whisk.put_action("flip", "function main() { return {commands: {}}; }").status == 200);
  Metrics metrics;
  auto options = whisk.client_options();
  options.server.auth = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:not-the-key";
  OpenWhiskCompute compute(options, metrics);
  const ComputeResult result = invoke_and_wait(compute, press("flip", {target("lamp-1")}));
  INFO(result.error);
  CHECK(result.error.find("credentials") != std::string::npos);
  CHECK(result.error.find("'flip'") != std::string::npos);
  CHECK(result.error.find(whisk.apihost()) != std::string::npos);
  CHECK(result.error.find("401") != std::string::npos);
  // Not retried: refused credentials do not get better.
  CHECK(metric_value(metrics.prometheus(), "snet_openwhisk_retries_total{reason=\"throttled\"}") ==
        0);
}

TEST_CASE("an unknown action is an error naming it and the host") {
  WhiskServer whisk;
  Metrics metrics;
  OpenWhiskCompute compute(whisk.client_options(), metrics);
  const ComputeResult result =
      invoke_and_wait(compute, press("no_such_action", {target("lamp-1")}));
  CHECK(result.error.find("no_such_action") != std::string::npos);
  CHECK(result.error.find("404") != std::string::npos);
  CHECK(result.error.find(whisk.apihost()) != std::string::npos);
}

TEST_CASE("an action longer than the blocking wait is answered 202 and polled to its result") {
  WhiskServer whisk({"--blocking-wait-ms", "150"});
  REQUIRE(whisk.put_action("slow", kSlowAction).status == 200);
  Metrics metrics;
  OpenWhiskCompute compute(whisk.client_options(), metrics);
  auto request = press("slow", {target("lamp-1"), target("lamp-2")});
  request.button_attrs["delay_ms"] = "600";
  const ComputeResult result = invoke_and_wait(compute, request);
  INFO(result.error, "\n", whisk.log());
  REQUIRE(result.error.empty());
  CHECK(result.commands.size() == 2);
  CHECK(metric_value(metrics.prometheus(), "snet_openwhisk_polls_total") >= 1);
}

TEST_CASE("slow actions run side by side: N take about one action's time, not N times it") {
  constexpr int kPresses = 8;
  constexpr auto kActionTime = 250ms;
  WhiskServer whisk({"--workers", std::to_string(kPresses), "--prewarm", std::to_string(kPresses)});
  REQUIRE(whisk.put_action("slow", kSlowAction).status == 200);
  Metrics metrics;
  OpenWhiskCompute compute(whisk.client_options(), metrics);
  // Node.js takes a while to start on a busy machine: wait for the prewarmed workers.
  REQUIRE(eventually(
      [&] {
        return metric_value(whisk.call("GET", "/metrics").body, "snet_whisk_workers_prewarmed") ==
               kPresses;
      },
      60s));

  auto round = [&] {
    std::mutex mutex;
    std::condition_variable cv;
    int done = 0, failed = 0;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < kPresses; ++i) {
      auto request = press("slow", {target("lamp-" + std::to_string(i))});
      request.button_attrs["delay_ms"] = std::to_string(kActionTime.count());
      compute.invoke(std::move(request), [&](ComputeResult r) {
        std::lock_guard lock(mutex);
        ++done;
        failed += r.error.empty() ? 0 : 1;
        cv.notify_all();
      });
    }
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, 20s, [&] { return done == kPresses; }));
    CHECK(failed == 0);
    return std::chrono::steady_clock::now() - started;
  };
  for (const char* which : {"prewarmed workers (init + run)", "warm workers"}) {
    const auto elapsed = round();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    MESSAGE(kPresses, " presses of a ", kActionTime.count(), " ms action on ", std::string(which),
            ": ", ms, " ms");
    CHECK(elapsed >= kActionTime);
    CHECK(elapsed < 3 * kActionTime);  // one after the other would take 8x
  }
}

TEST_CASE("beyond snet-whisk's in-flight limit an invocation is answered 429, then retried") {
  WhiskServer whisk({"--max-in-flight", "1"});
  REQUIRE(whisk.put_action("slow", kSlowAction).status == 200);
  Metrics metrics;
  auto options = whisk.client_options();
  options.max_attempts = 1;  // first: no retry, to see the refusal itself
  OpenWhiskCompute no_retry(options, metrics);

  std::atomic<int> finished{0};
  auto first = press("slow", {target("lamp-1")});
  first.button_attrs["delay_ms"] = "1000";
  no_retry.invoke(first, [&](ComputeResult) { ++finished; });
  // Once the first is in flight, a second is over the limit.
  REQUIRE(eventually(
      [&] { return metric_value(whisk.call("GET", "/metrics").body, "snet_whisk_in_flight") == 1; },
      5s));
  const ComputeResult refused = invoke_and_wait(no_retry, press("slow", {target("lamp-2")}));
  INFO(refused.error);
  CHECK(refused.error.find("429") != std::string::npos);
  CHECK(refused.error.find("Too many concurrent requests") != std::string::npos);

  // With retries and back-off, the client waits for the slot instead of failing.
  auto patient = whisk.client_options();
  patient.max_attempts = 10;
  patient.backoff = 100ms;
  Metrics patient_metrics;
  OpenWhiskCompute retrying(patient, patient_metrics);
  auto later = press("slow", {target("lamp-3")});
  later.button_attrs["delay_ms"] = "10";
  const ComputeResult result = invoke_and_wait(retrying, later);
  INFO(result.error);
  CHECK(result.error.empty());
  CHECK(metric_value(patient_metrics.prometheus(),
                     "snet_openwhisk_retries_total{reason=\"throttled\"}") >= 1);
  CHECK(eventually([&] { return finished.load() == 1; }, 5s));
}

TEST_CASE("an action that crashes its worker fails that press only") {
  WhiskServer whisk;
  REQUIRE(whisk
              .put_action("crasher",
                          "function main() { return new Promise(() => setTimeout(() => { "
                          "throw new Error('late failure'); }, 10)); }")
              .status == 200);
  REQUIRE(
      whisk
          .put_action("flip",
                      "function main(p) { return {commands: {[p.targets[0].id]: {on: false}}}; }")
          .status == 200);
  Metrics metrics;
  OpenWhiskCompute compute(whisk.client_options(), metrics);
  const ComputeResult crashed = invoke_and_wait(compute, press("crasher", {target("lamp-1")}));
  INFO(crashed.error);
  // OpenWhisk's text; the crash itself is in the activation's logs.
  CHECK(crashed.error.find("did not produce a valid response and exited unexpectedly") !=
        std::string::npos);
  const auto listed = nlohmann::json::parse(
      whisk.call("GET", "/api/v1/namespaces/_/activations?name=crasher&docs=true").body, nullptr,
      false);
  REQUIRE(listed.is_array());
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["logs"].dump().find("late failure") != std::string::npos);
  const ComputeResult fine = invoke_and_wait(compute, press("flip", {target("lamp-1")}));
  CHECK(fine.error.empty());
}
