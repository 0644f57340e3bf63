// snet-whisk-bench: presses through the relayer's OpenWhisk backend into a real snet-whisk with
// real Node.js workers. Prints numbers (never pass/fail):
//   (a) round trip of one press at a time, for a trivial action and for one that computes for
//       a fixed time (its own duration, measured in the action): the client's added latency is
//       the round trip minus that duration;
//   (b) sustained invocations/s of a trivial action with N presses in flight.
// It starts snet-whisk itself on a free port (or uses --apihost).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "action_contract.hpp"
#include "curl_util.hpp"
#include "openwhisk_compute.hpp"
#include "snet/clock.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/log_flags.hpp"
#include "snet/net.hpp"
#include "snet/process.hpp"
#include "stats.hpp"
#include "whisk_defaults.hpp"

using namespace snet;
using namespace std::chrono_literals;
using openwhisk::to_action_params;

namespace {

// Trivial: the decision of flip_switch.
const char* const kTrivial =
    "function main(p) { const c = {}; for (const t of p.targets) c[t.id] = {on: t.on !== true};"
    " return {commands: c}; }";
// Computes (busy) for `work_us` microseconds, measured with the high-resolution clock.
const char* const kFixedWork =
    "function main(p) { const until = process.hrtime.bigint() + BigInt(p.attrs.work_us) * 1000n;"
    " while (process.hrtime.bigint() < until) {} return {commands: {[p.targets[0].id]: {on: "
    "true}}}; }";

snet::ComputeRequest press(const std::string& action, long work_us) {
  snet::ComputeRequest r;
  r.topology = "bench";
  r.button = "button-1";
  r.action = action;
  r.press_id = std::to_string(now_us());
  r.press_ts = now_us();
  r.targets = {snet::TargetInfo{"lamp-1", false, {}}};
  r.button_attrs["work_us"] = std::to_string(work_us);
  return r;
}

// One press at a time: latency samples in microseconds.
std::vector<std::int64_t> sequential(snet::Compute& compute, const std::string& action,
                                     long work_us, int count) {
  std::vector<std::int64_t> samples;
  std::mutex mutex;
  std::condition_variable cv;
  for (int i = 0; i < count; ++i) {
    bool done = false;
    std::string error;
    const auto start = now_us();
    compute.invoke(press(action, work_us), [&](snet::ComputeResult r) {
      std::lock_guard lock(mutex);
      error = r.error;
      done = true;
      cv.notify_all();
    });
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, 30s, [&] { return done; }))
      throw std::runtime_error("no answer in 30 s");
    if (!error.empty()) throw std::runtime_error(error);
    samples.push_back(now_us() - start);
  }
  return samples;
}

// The same invocation as one blocking libcurl request on a kept-alive connection: what the
// HTTP round trip through snet-whisk costs without the client's engine (its thread, queue and
// multi handle) in between.
std::vector<std::int64_t> raw_http(const std::string& apihost, const std::string& auth, int count) {
  openwhisk::ensure_curl_initialized();
  openwhisk::CurlEasy easy(curl_easy_init());
  openwhisk::CurlList headers = openwhisk::json_headers();
  const std::string url =
      openwhisk::entity_url(apihost, "_", "actions", "trivial") + "?blocking=true&result=true";
  const std::string params = to_action_params(press("trivial", 0)).dump();
  std::vector<std::int64_t> samples;
  std::string body;
  for (int i = 0; i < count; ++i) {
    body.clear();
    openwhisk::configure_request(easy.get(), auth, body, headers.get(), 10s, 2s, false);
    curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, params.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(params.size()));
    const auto start = now_us();
    if (curl_easy_perform(easy.get()) != CURLE_OK) throw std::runtime_error("raw request failed");
    samples.push_back(now_us() - start);
  }
  return samples;
}

// `in_flight` presses outstanding at all times until `total` are done: invocations/s.
double sustained(snet::Compute& compute, int total, int in_flight, int& failures) {
  std::mutex mutex;
  std::condition_variable cv;
  int started = 0, finished = 0;
  failures = 0;
  std::function<void()> launch;
  launch = [&] {
    compute.invoke(press("trivial", 0), [&](snet::ComputeResult r) {
      bool more = false;
      {
        std::lock_guard lock(mutex);
        ++finished;
        failures += r.error.empty() ? 0 : 1;
        if (started < total) {
          ++started;
          more = true;
        }
        cv.notify_all();
      }
      if (more) launch();
    });
  };
  const auto begin = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex);
    started = std::min(in_flight, total);
  }
  for (int i = 0; i < std::min(in_flight, total); ++i) launch();
  std::unique_lock lock(mutex);
  if (!cv.wait_for(lock, 300s, [&] { return finished == total; })) {
    throw std::runtime_error("sustained run did not finish");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  return total / seconds;
}

void print(const char* label, const bench::Summary& s, double minus_us = 0) {
  std::printf("  %-34s n=%-5zu p50 %8.0f us  p99 %8.0f us  max %8.0f us", label, s.count, s.p50_us,
              s.p99_us, s.max_us);
  if (minus_us > 0) std::printf("   added p50 %6.0f us", s.p50_us - minus_us);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags("snet-whisk-bench", "Presses through the OpenWhisk client into snet-whisk.");
  flags.add("apihost", "", "", "use this OpenWhisk instead of starting snet-whisk")
      .add("auth", "", openwhisk::kDevAuth, "uuid:key for --apihost")
      .add("workers", "", "4", "snet-whisk --workers")
      .add("presses", "", "2000", "presses per sequential measurement")
      .add("total", "", "20000", "presses per sustained measurement");
  log::add_flags(flags, "warn");
  try {
    if (!flags.parse(argc, argv)) return 0;
    log::apply_flags(flags);
  } catch (const std::exception& e) {
    std::cerr << "snet-whisk-bench: " << e.what() << "\n";
    return 2;
  }
  std::string apihost = flags.str("apihost");
  const std::string auth = flags.str("auth");
  ChildProcess whisk;
  if (apihost.empty()) {
    const int port = free_port();
    whisk = ChildProcess({self_dir() + "/snet-whisk", "--http-port", std::to_string(port),
                          "--workers", flags.str("workers"), "--log-level", "warn"});
    apihost = "http://127.0.0.1:" + std::to_string(port);
    if (!wait_for_port("127.0.0.1", port, 10s)) {
      std::cerr << "snet-whisk did not start\n";
      return 1;
    }
  }
  for (const auto& [name, code] : {std::pair{"trivial", kTrivial}, std::pair{"work", kFixedWork}}) {
    const nlohmann::json body = {{"exec", {{"kind", "nodejs:default"}, {"code", code}}},
                                 {"limits", {{"concurrency", 1}}}};
    const auto reply = openwhisk::http_call(
        "PUT", openwhisk::entity_url(apihost, "_", "actions", name) + "?overwrite=true", auth,
        body.dump());
    if (reply.status != 200) {
      std::cerr << "deploying " << name << " failed: " << reply.status << " " << reply.body
                << reply.error << "\n";
      return 1;
    }
  }
  Metrics metrics;
  openwhisk::OpenWhiskOptions options;
  options.server = {apihost, auth, "_"};
  options.max_in_flight = 256;
  openwhisk::OpenWhiskCompute compute(options, metrics);
  const int presses = static_cast<int>(flags.integer("presses", 10, 10'000'000));
  const int total = static_cast<int>(flags.integer("total", 10, 100'000'000));

  std::printf("snet-whisk at %s, %s workers, node %s\n", apihost.c_str(),
              flags.str("workers").c_str(), "(/usr/bin/node)");
  sequential(compute, "trivial", 0, 200);  // warm-up: workers started, code JIT-compiled
  sequential(compute, "work", 1000, 50);
  std::printf("(a) one press at a time (press -> OpenWhiskCompute done):\n");
  const auto through_client = bench::summarize(sequential(compute, "trivial", 0, presses));
  print("trivial action", through_client);
  const auto raw = bench::summarize(raw_http(apihost, auth, presses));
  print("trivial action, raw libcurl request", raw);
  std::printf("  the client's engine adds p50 %.0f us over a raw request\n",
              through_client.p50_us - raw.p50_us);
  for (long work_us : {1000L, 5000L}) {
    const std::string label = "action computing " + std::to_string(work_us) + " us";
    print(label.c_str(),
          bench::summarize(sequential(compute, "work", work_us, std::max(50, presses / 10))),
          static_cast<double>(work_us));
  }
  std::printf("(b) sustained, trivial action:\n");
  for (int in_flight : {1, 8, 32, 128}) {
    int failures = 0;
    const double rate = sustained(compute, total, in_flight, failures);
    std::printf("  %4d in flight: %8.0f invocations/s  (%d failed)\n", in_flight, rate, failures);
  }
  return 0;
}
