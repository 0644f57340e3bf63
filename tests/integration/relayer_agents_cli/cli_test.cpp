// The `snet` command line as a person uses it: validate, press, up (and Ctrl-C / SIGTERM).
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "press_path_fixture.hpp"
#include "snet/net.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;

namespace {

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("snet validate prints OK with a summary for good files and every error for broken ones") {
  auto good = run_snet({"validate", source_path("topology/single.json"),
                        source_path("topology/wiring.json"), source_path("topology/field.json")});
  CHECK(good.status == 0);
  CHECK(good.output.find("OK: field, 3 buttons, 5 actuators, 2 sites, 3 of 10 links shaped") !=
        std::string::npos);
  CHECK(good.output.find("OK: single, 3 buttons, 3 actuators") != std::string::npos);
  CHECK(good.output.find("OK: wiring, 3 buttons, 4 actuators") != std::string::npos);

  TempDir dir;
  const std::string broken = write_file(dir, "broken.json", R"({
    "name": "broken", "colour": "red",
    "devices": [
      {"id": "b1", "kind": "button", "targets": ["ghost"]},
      {"id": "b2", "kind": "button"},
      {"id": "a1", "kind": "actuator"},
      {"id": "a1", "kind": "actuator"},
      {"id": "x", "kind": "lamp"}
    ]})");
  auto bad = run_snet({"validate", broken});
  CHECK(bad.status == 1);
  for (const char* expected :
       {"FAILED: ", "unknown field 'colour'", "device 'b1': unknown target 'ghost'",
        "device 'b2': button without target", "device 'a1': duplicate id",
        "field 'kind' is 'lamp', expected one of: button, actuator"}) {
    CHECK_MESSAGE(bad.output.find(expected) != std::string::npos, expected, "\n", bad.output);
  }

  auto not_json = run_snet({"validate", write_file(dir, "nojson.json", "{\"name\": ")});
  CHECK(not_json.status == 1);
  CHECK(not_json.output.find("not valid JSON") != std::string::npos);
  auto missing = run_snet({"validate", dir.path() + "/absent.json"});
  CHECK(missing.status == 1);
  CHECK(missing.output.find("cannot open") != std::string::npos);
}

TEST_CASE("snet reports usage errors with exit code 2") {
  CHECK(run_snet({}).status == 2);
  auto unknown = run_snet({"frobnicate"});
  CHECK(unknown.status == 2);
  CHECK(unknown.output.find("unknown command 'frobnicate'") != std::string::npos);
  auto flag = run_snet({"up", "--no-such-flag"});
  CHECK(flag.status == 2);
  CHECK(flag.output.find("--no-such-flag") != std::string::npos);
  CHECK(run_snet({"validate"}).status == 2);
  CHECK(run_snet({"press"}).status == 2);
}

TEST_CASE("snet press triggers the button, or publishes the press itself with --direct") {
  PressPath path("tests/topology/single-builtin.json", "single");
  path.start_all();
  auto pressed = run_snet(
      {"press", "button-1", "--topology", path.topology_path, "--broker-url", path.broker.url()});
  REQUIRE_MESSAGE(pressed.status == 0, pressed.output);
  const std::string id = pressed.output.substr(0, pressed.output.find('\n'));
  REQUIRE(path.recorder.wait_for(path.topic("trigger", "button-1"), id));
  auto state = path.wait_state("actuator-1", id);
  REQUIRE_MESSAGE(state, path.logs());
  CHECK(state->on);

  auto direct = run_snet({"press", "button-1", "--direct", "--id", "direct-1", "--topology",
                          path.topology_path, "--broker-url", path.broker.url()});
  REQUIRE_MESSAGE(direct.status == 0, direct.output);
  CHECK(direct.output == "direct-1\n");
  auto flipped = path.wait_state("actuator-1", "direct-1");
  REQUIRE(flipped);
  CHECK_FALSE(flipped->on);

  auto unknown = run_snet(
      {"press", "button-9", "--topology", path.topology_path, "--broker-url", path.broker.url()});
  CHECK(unknown.status == 1);
  CHECK(unknown.output.find("'button-9' is not a button") != std::string::npos);
}

TEST_CASE("snet up starts everything, and on SIGTERM stops it all leaving no process behind") {
  REQUIRE_MESSAGE(std::filesystem::exists(built_program("snet-state")),
                  "snet-state is not built: build it to run this test");
  SnetUp up;
  CHECK(up.output().find("http://127.0.0.1:" + std::to_string(up.http_port()) + "/") !=
        std::string::npos);
  const std::string run_file = up.data_dir() + "/run.json";
  CHECK(std::filesystem::exists(run_file));

  const auto children = children_of(up.pid());
  std::set<std::string> names;
  for (const auto& [pid, name] : children) names.insert(name);
  CHECK(names == std::set<std::string>{"mosquitto", "snet-agent", "snet-relayer", "snet-state",
                                       "snet-whisk"});
  // snet-whisk's warm Node.js workers are grandchildren: they must go too.
  const auto descendants = descendants_of(up.pid());

  // The stack works: a press by hand reaches an actuator, and the state service answers.
  Recorder recorder("mqtt://127.0.0.1:" + std::to_string(up.mqtt_port()), {"snet/single/state/+"});
  REQUIRE(mosquitto_pub(up.mqtt_port(), "snet/single/press/button-1", R"({"id":"up-1"})") == 0);
  CHECK(recorder.wait_for("snet/single/state/actuator-1", "up-1"));
  CHECK(http_request("GET", up.http_port(), "/healthz").status == 200);

  const auto signalled = std::chrono::steady_clock::now();
  up.process().signal(SIGTERM);
  REQUIRE(up.process().wait_for(10s));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - signalled);
  const std::string output = up.output();
  const auto measured = output.find("stopped in");
  MESSAGE("snet up stopped everything ", took.count(), " ms after SIGTERM (it says: ",
          output.substr(measured, output.find('\n', measured) - measured), ")");
  REQUIRE(up.process().exit_status());
  CHECK(WIFEXITED(*up.process().exit_status()));
  CHECK(WEXITSTATUS(*up.process().exit_status()) == 0);
  for (const auto& [pid, name] : descendants) {
    CHECK_MESSAGE(!alive(pid), name, " is still alive");
  }
  CHECK(children_of(up.pid()).empty());
  CHECK(up.output().find("stopping: waiting for") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(run_file));  // removed on a clean exit
}

TEST_CASE("snet up fails at once when a service cannot start, naming it and showing its log") {
  // Someone else listens on the dashboard's port: snet-state cannot, and exits.
  Mosquitto occupant;
  TempDir data("snet-up");
  const std::string log_path = data.path() + "/snet-up.out";
  ChildProcess up(
      {built_program("snet"), "up", "single", "--mqtt-port", std::to_string(free_port()),
       "--http-port", std::to_string(occupant.port()), "--whisk-port", std::to_string(free_port()),
       "--data-dir", data.path() + "/data"},
      ChildProcess::Options{{}, log_path, "=stdout", true});
  REQUIRE(up.wait_for(30s));
  CHECK(WIFEXITED(*up.exit_status()));
  CHECK(WEXITSTATUS(*up.exit_status()) == 1);
  const std::string output = read_text(log_path);
  CHECK_MESSAGE(output.find("snet up: state exited with status") != std::string::npos, output);
  CHECK_MESSAGE(output.find("while starting; stopping everything") != std::string::npos, output);
  CHECK_MESSAGE(output.find("End of " + data.path() + "/data/logs/state.log") != std::string::npos,
                output);
  CHECK(children_of(up.pid()).empty());
}
