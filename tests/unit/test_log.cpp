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

TEST_CASE("a press id with \\n, \\r and ESC logged by write() gives one line, escaped") {
  const std::string press_id = "p1\n2026-12-02T20:25:24.000Z ERROR [relayer] forged\r\x1b[2J";
  log::set_component("relayer");
  for (const auto format : {log::Format::text, log::Format::json}) {
    CAPTURE(static_cast<int>(format));
    log::set_format(format);
    const std::string out = captured_stderr([&] { log::warn("rejected press ", press_id); });
    REQUIRE(!out.empty());
    CHECK(out.back() == '\n');
    CHECK(out.find('\n') == out.size() - 1);  // exactly one line
    CHECK(out.find('\r') == std::string::npos);
    CHECK(out.find('\x1b') == std::string::npos);
    if (format == log::Format::text) {
      CHECK(out.find("rejected press p1\\n2026-12-02T20:25:24.000Z ERROR [relayer] forged\\r"
                     "\\x1b[2J\n") != std::string::npos);
    } else {
      const auto doc = nlohmann::json::parse(out);
      CHECK(doc["msg"] == "rejected press " + press_id);  // the value itself, losslessly
      CHECK(out.find(R"(forged\r\u001b[2J)") != std::string::npos);
    }
  }
  log::set_format(log::Format::text);
}

TEST_CASE("C1 controls, line separators and bytes that are not UTF-8 are escaped too") {
  // U+009B (CSI: a terminal's escape sequence without ESC), U+2028, a lone 0xff, a cut-short
  // sequence; U+00E9 and U+1F600 stay as they are.
  const std::string wire =
      "a\xc2\x9b"
      "31mb\xe2\x80\xa8"
      "c\xff"
      "d\xe2\x82"
      "e\xc3\xa9\xf0\x9f\x98\x80";
  CHECK(log::escape_control(wire) ==
        "a\\xc2\\x9b31mb\\xe2\\x80\\xa8c\\xffd\\xe2\\x82e\xc3\xa9\xf0\x9f\x98\x80");
  const std::string line = log::format_line(log::Format::json, log::Level::info, "s", wire, kAt);
  CHECK(line.find("\xc2\x9b") == std::string::npos);
  CHECK(line.find("\xe2\x80\xa8") == std::string::npos);
  CHECK(line.find(R"(a\u009b31mb\u2028c)") != std::string::npos);
  const auto doc = nlohmann::json::parse(line);
  CHECK(doc["msg"].get<std::string>().find("\xc2\x9b"
                                           "31mb\xe2\x80\xa8") != std::string::npos);
  CHECK(log::format_line(log::Format::json, log::Level::info, "s", "del\x7f", kAt)
            .find(R"(del\u007f)") != std::string::npos);
}
