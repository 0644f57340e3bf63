// The Prometheus exposition every service serves: counters, gauges, latency histograms in
// seconds, the process's resources and the build, in text a scraper accepts.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <vector>

#include <nlohmann/json.hpp>

#include "prometheus_text.hpp"
#include "snet/metrics.hpp"
#include "snet/process_metrics.hpp"
#include "snet/version.hpp"

using namespace snet;

TEST_CASE("counters, gauges and histograms render as valid Prometheus text") {
  Metrics metrics;
  metrics.counter("t_presses_total", "Presses", metric_label("reason", "bad value \"x\"")).add(3);
  Gauge& depth = metrics.gauge("t_queue_depth", "Queue depth");
  depth.set(5);
  depth.add(-7);
  Histogram& relayed =
      metrics.histogram("t_latency_seconds", "Latency", metric_label("stage", "relayed"));
  Histogram& stored =
      metrics.histogram("t_latency_seconds", "Latency", metric_label("stage", "stored"));
  for (double s : {0.0004, 0.0009, 0.003, 0.003, 42.0}) relayed.observe(s);
  stored.observe(0.001);  // on a bound: counted in that bucket (le is "less or equal")

  const test::Exposition e = test::parse_exposition(metrics.prometheus());
  CHECK(e.types.at("t_presses_total") == "counter");
  CHECK(e.types.at("t_queue_depth") == "gauge");
  CHECK(e.types.at("t_latency_seconds") == "histogram");
  CHECK(e.at(R"(t_presses_total{reason="bad_value__x_"})") == 3);
  CHECK(e.at("t_queue_depth") == -2);
  CHECK(e.at(R"(t_latency_seconds_bucket{stage="relayed",le="0.0005"})") == 1);
  CHECK(e.at(R"(t_latency_seconds_bucket{stage="relayed",le="0.001"})") == 2);
  CHECK(e.at(R"(t_latency_seconds_bucket{stage="relayed",le="0.005"})") == 4);
  CHECK(e.at(R"(t_latency_seconds_bucket{stage="relayed",le="10"})") == 4);
  CHECK(e.at(R"(t_latency_seconds_bucket{stage="relayed",le="+Inf"})") == 5);
  CHECK(e.at(R"(t_latency_seconds_count{stage="relayed"})") == 5);
  CHECK(e.at(R"(t_latency_seconds_sum{stage="relayed"})") == doctest::Approx(42.0073));
  CHECK(e.at(R"(t_latency_seconds_bucket{stage="stored",le="0.0005"})") == 0);
  CHECK(e.at(R"(t_latency_seconds_bucket{stage="stored",le="0.001"})") == 1);

  // The bus status carries counters, gauges and the process's resources, not histograms.
  const auto snapshot = metrics.snapshot();
  CHECK(snapshot.at("t_queue_depth") == -2);
  CHECK(snapshot.at("process_resident_memory_bytes").get<double>() > 1e6);
  CHECK(snapshot.at("process_cpu_seconds_total").is_number());
  for (const auto& [key, value] : snapshot.items())
    CHECK(key.find("t_latency") == std::string::npos);
}

TEST_CASE("one name is one type") {
  Metrics metrics;
  metrics.counter("t_x_total", "x");
  CHECK_THROWS_AS(metrics.gauge("t_x_total", "x"), std::logic_error);
  CHECK(&metrics.gauge("t_g", "g") == &metrics.gauge("t_g", "g"));
}

TEST_CASE("label values keep only characters safe in every scraper") {
  CHECK(metric_label("status", "application error") == R"(status="application_error")");
  CHECK(metric_label("v", "0.1.0-rc:1") == R"(v="0.1.0-rc:1")");
  CHECK(metric_label("q", "a\"b\\c\nd") == R"(q="a_b_c_d")");
}

TEST_CASE("every exposition ends with the process's resources and the build") {
  Metrics metrics;
  const auto before = test::parse_exposition(metrics.prometheus());
  CHECK(before.types.at("process_cpu_seconds_total") == "counter");
  CHECK(before.at("process_resident_memory_bytes") > 1024 * 1024);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(before.at("process_start_time_seconds") <= now + 1);
  CHECK(before.at("process_start_time_seconds") > now - 3600);  // this test binary's start
  CHECK(before.at("process_max_fds") >= before.at("process_open_fds"));

  // Three more open files are three more descriptors.
  std::vector<int> fds;
  for (int i = 0; i < 3; ++i) fds.push_back(::open("/dev/null", O_RDONLY));
  const auto after = test::parse_exposition(metrics.prometheus());
  for (int fd : fds) ::close(fd);
  CHECK(after.at("process_open_fds") == before.at("process_open_fds") + 3);

  // Burning CPU shows in the counter: spin until the clock of this process's CPU time says
  // 0.3 s more (bounded in wall time, for a loaded machine).
  auto cpu_now = [] {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
  };
  const double start = cpu_now();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (cpu_now() < start + 0.3 && std::chrono::steady_clock::now() < give_up) {
  }
  const auto busy = test::parse_exposition(metrics.prometheus());
  CHECK(busy.at("process_cpu_seconds_total") >= before.at("process_cpu_seconds_total") + 0.2);

  // snet_build_info: the version without its " (commit)" tail, which is a label of its own.
  const std::string version = snet::version();
  const std::string plain = version.substr(0, version.find(' '));
  bool found = false;
  for (const auto& [series, value] : before.samples) {
    if (series.rfind("snet_build_info{version=\"" + plain + "\",commit=\"", 0) == 0) {
      found = value == 1;
    }
  }
  CHECK_MESSAGE(found, "no snet_build_info for version ", plain);
}
