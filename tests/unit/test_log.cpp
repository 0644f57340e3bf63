// Log lines: dated UTC timestamps, text or JSON, control characters that cannot forge a line.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/log_flags.hpp"

using namespace snet;
using namespace std::chrono;

namespace {
// 2026-12-02T20:25:23.045Z
const system_clock::time_point kAt =
    sys_days{year{2026} / 12 / 2} + hours{20} + minutes{25} + seconds{23} + milliseconds{45};

// What log::write() printed to stderr while `body` ran (stderr is a file meanwhile).
template <typename Body>
std::string captured_stderr(Body body) {
  test::TempDir dir;
  const std::string path = dir.path() + "/stderr";
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(file >= 0);
  ::dup2(file, STDERR_FILENO);
  ::close(file);
  body();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

TEST_CASE("timestamps carry the date, UTC and milliseconds") {
  CHECK(log::iso8601_utc(kAt) == "2026-12-02T20:25:23.045Z");
  CHECK(log::format_line(log::Format::text, log::Level::warn, "relayer", "slow", kAt) ==
        "2026-12-02T20:25:23.045Z WARN  [relayer] slow");
}

TEST_CASE("text lines escape control characters, so a wire value cannot forge a line") {
  const std::string forged =
      "press from 'b1\n2026-12-02T20:25:24.000Z ERROR [state] fake'\r\t\x1b[31m";
  const std::string line =
      log::format_line(log::Format::text, log::Level::info, "agent", forged, kAt);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  CHECK(line.find('\x1b') == std::string::npos);
  CHECK(line ==
        "2026-12-02T20:25:23.045Z INFO  [agent] press from 'b1\\n2026-12-02T20:25:24.000Z ERROR "
        "[state] fake'\\r\\t\\x1b[31m");
  CHECK(log::escape_control("caf\xc3\xa9 \x7f") == "caf\xc3\xa9 \\x7f");  // UTF-8 kept, DEL not
}

TEST_CASE("json lines are one object each: ts, level, service, msg") {
  const std::string line =
      log::format_line(log::Format::json, log::Level::error, "state", "bad \"x\"\nnext \xff", kAt);
  CHECK(line.find('\n') == std::string::npos);
  const auto doc = nlohmann::json::parse(line);
  CHECK(doc["ts"] == "2026-12-02T20:25:23.045Z");
  CHECK(doc["level"] == "error");
  CHECK(doc["service"] == "state");
  CHECK(doc["msg"] == "bad \"x\"\nnext \xef\xbf\xbd");  // invalid UTF-8 replaced, not thrown
}

TEST_CASE("--log-format and --log-level apply to what write() prints") {
  Flags flags("prog", "test");
  log::add_flags(flags);
  const char* argv[] = {"prog", "--log-format", "json", "--log-level=warn"};
  REQUIRE(flags.parse(4, argv));
  log::apply_flags(flags);
  log::set_component("unit");
  const std::string out = captured_stderr([] {
    log::info("hidden");
    log::warn("shown ", 42);
  });
  log::set_format(log::Format::text);
  log::set_level(log::Level::info);
  const auto doc = nlohmann::json::parse(out);  // exactly one object: info was filtered
  CHECK(doc["msg"] == "shown 42");
  CHECK(doc["level"] == "warn");
  CHECK(doc["service"] == "unit");
  CHECK(doc["ts"].get<std::string>().size() == 24);

  Flags bad("prog", "test");
  log::add_flags(bad);
  const char* wrong[] = {"prog", "--log-format", "xml"};
  REQUIRE(bad.parse(3, wrong));
  CHECK_THROWS_WITH_AS(log::apply_flags(bad),
                       doctest::Contains("--log-format: unknown log format 'xml'"), UsageError);
}

TEST_CASE("json lines list ts, level, service and msg in that order") {
  CHECK(log::format_line(log::Format::json, log::Level::info, "relayer", "up", kAt) ==
        R"({"ts":"2026-12-02T20:25:23.045Z","level":"info","service":"relayer","msg":"up"})");
}
