// run.json (cli/run_file.hpp): what `snet up` writes, and how the other commands judge it.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "run_file.hpp"
#include "snet/flags.hpp"

using namespace snet::cli;
using snet::test::TempDir;

namespace {

RunInfo sample(long pid) {
  return {"campus",
          "/t/campus.json",
          "/d",
          "mosquitto",
          "mqtt://127.0.0.1:1884",
          "mqtt://127.0.0.1:1884",
          "http://127.0.0.1:8081",
          "http://127.0.0.1:40000",
          "http://127.0.0.1:3234",
          pid,
          "0.1.0"};
}

// The pid of a process that has exited and been reaped: no process has it (until reuse).
long dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

}  // namespace

TEST_CASE("run.json is written whole, read back, and removed") {
  TempDir dir;
  write_run_file(dir.path(), sample(::getpid()));
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/run.json.tmp"));
  const auto found = find_running(dir.path());
  REQUIRE(found.state == RunLookup::State::running);
  CHECK(to_json(found.info) == to_json(sample(::getpid())));
  CHECK(found.info.control_url == "http://127.0.0.1:40000");
  remove_run_file(dir.path());
  CHECK(find_running(dir.path()).state == RunLookup::State::absent);
  remove_run_file(dir.path());  // absent: no error
}

TEST_CASE("a run.json whose pid is gone is stale, a broken one unreadable, and both say why") {
  TempDir dir;
  const long pid = dead_pid();
  write_run_file(dir.path(), sample(pid));
  const auto stale = find_running(dir.path());
  CHECK(stale.state == RunLookup::State::stale);
  CHECK(stale.problem.find("is stale") != std::string::npos);
  CHECK(stale.problem.find("pid " + std::to_string(pid)) != std::string::npos);
  const std::string message =
      no_running_message("snet press", dir.path(), stale, "--broker-url URL");
  CHECK(message.rfind("snet press: no `snet up` running with data dir " + dir.path(), 0) == 0);
  CHECK(message.find("pass --broker-url URL") != std::string::npos);

  std::ofstream(dir.path() + "/run.json") << "[1, 2";
  CHECK(find_running(dir.path()).state == RunLookup::State::unreadable);
  std::ofstream(dir.path() + "/run.json") << R"({"http_url": "http://h:1"})";  // no pid
  CHECK(find_running(dir.path()).state == RunLookup::State::stale);
}

TEST_CASE("broker URLs lose their password, nothing else") {
  CHECK(without_password("amqp://user:secret@host:5672/vh") == "amqp://user@host:5672/vh");
  CHECK(without_password("mqtt://127.0.0.1:1883") == "mqtt://127.0.0.1:1883");
  CHECK(without_password("amqp://user@host/vh") == "amqp://user@host/vh");
  CHECK(without_password("mqtt://host:1883/a@b") == "mqtt://host:1883/a@b");
}

TEST_CASE("given flags win over run.json, and without either the error names the data dir") {
  TempDir dir;
  write_run_file(dir.path(), sample(::getpid()));
  auto flags_of = [&](std::vector<const char*> args) {
    snet::Flags flags("t", "");
    flags.add("data-dir", "", dir.path(), "")
        .add("topology", "", "", "")
        .add("broker-url", "", "", "");
    args.insert(args.begin(), "t");
    flags.parse(static_cast<int>(args.size()), args.data());
    return flags;
  };
  const auto found = broker_target(flags_of({}), "snet press", true);
  CHECK(found.broker_url == "mqtt://127.0.0.1:1884");
  CHECK(found.topology == "/t/campus.json");
  REQUIRE(found.run);
  const auto given = broker_target(flags_of({"--broker-url", "mqtt://h:1", "--topology", "wiring"}),
                                   "snet press", true);
  CHECK(given.broker_url == "mqtt://h:1");
  CHECK(given.topology == "wiring");

  remove_run_file(dir.path());
  std::string error;
  try {
    broker_target(flags_of({}), "snet health", false);
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  CHECK(error.rfind("snet health: no `snet up` running with data dir", 0) == 0);
  const auto fallback = broker_target(flags_of({"--broker-url", "mqtt://h:1"}), "snet press", true);
  CHECK(fallback.topology == "topology/single.json");
  CHECK_FALSE(fallback.run);
}
