// Rotation of the logs `snet up`'s children write themselves (copy-truncate), with a real
// child writing all along.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "harness.hpp"
#include "log_rotation.hpp"
#include "snet/process.hpp"

using namespace snet;
using namespace std::chrono_literals;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

long long size_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

// The numbers of the "line N" lines of `text`; fails on anything else (a hole of NUL bytes, a
// line cut in two).
std::vector<long> line_numbers(const std::string& text) {
  std::vector<long> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    REQUIRE_MESSAGE(line.rfind("line ", 0) == 0, "not a whole line: '", line, "'");
    out.push_back(std::stol(line.substr(5)));
  }
  return out;
}

}  // namespace

TEST_CASE("a log past its cap moves to .1 and starts again, while its child keeps writing") {
  test::TempDir dir;
  const std::string log = dir.path() + "/agent.log";
  constexpr long kLines = 20000;  // ~220 KB in lines of 11 bytes
  constexpr std::uintmax_t kCap = 16 * 1024;
  ChildProcess::Options options;
  options.stdout_path = log;
  options.stderr_path = "=stdout";
  ChildProcess child({"/bin/sh", "-c",
                      "i=0; while [ $i -lt " + std::to_string(kLines) +
                          " ]; do printf 'line %05d\\n' $i; i=$((i+1)); done"},
                     options);
  cli::LogRotator rotator({log}, kCap, 0ms);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (child.running() && std::chrono::steady_clock::now() < deadline) {
    rotator.tick();
    std::this_thread::sleep_for(1ms);  // a poll interval, as snet up's loop has
  }
  REQUIRE_FALSE(child.running());
  rotator.tick();
  CHECK(rotator.rotations() >= 2);
  CHECK(size_of(log) <= static_cast<long long>(kCap));
  CHECK(size_of(log + ".1") > 0);
  CHECK(size_of(log + ".1.partial") == -1);
  // Both files hold whole lines in order, the newer ones in the log, and the child's last line is
  // the last of all. The log may be empty: when the child wrote more than the cap after the last
  // tick of the loop, the final tick moved all of it to .1 (seen in CI).
  const auto older = line_numbers(read_text(log + ".1"));
  const auto newer = line_numbers(read_text(log));
  REQUIRE_FALSE(older.empty());
  CHECK(std::is_sorted(older.begin(), older.end()));
  CHECK(std::is_sorted(newer.begin(), newer.end()));
  if (!newer.empty()) CHECK(older.back() < newer.front());
  CHECK((newer.empty() ? older : newer).back() == kLines - 1);
}

TEST_CASE("a log under its cap, a missing one and cap 0 are left alone") {
  test::TempDir dir;
  const std::string log = dir.path() + "/state.log";
  std::ofstream(log) << "small\n";
  CHECK_FALSE(cli::rotate_log_if_larger(log, 100));
  CHECK_FALSE(cli::rotate_log_if_larger(log, 0));
  CHECK_FALSE(cli::rotate_log_if_larger(dir.path() + "/absent.log", 1));
  CHECK(read_text(log) == "small\n");
  CHECK(size_of(log + ".1") == -1);
  // Over the cap: the copy replaces an older .1.
  std::ofstream(log + ".1") << "the oldest\n";
  CHECK(cli::rotate_log_if_larger(log, 3));
  CHECK(read_text(log + ".1") == "small\n");
  CHECK(size_of(log) == 0);
}
