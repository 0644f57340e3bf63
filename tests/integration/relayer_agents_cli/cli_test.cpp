// The `snet` command line as a person uses it: validate, press, up (and Ctrl-C / SIGTERM), the
// commands that find a running `snet up` through run.json, --version and --help.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "emulation.hpp"
#include "snet/net.hpp"
#include "snet/version.hpp"
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

  // Composite devices and rules are summed up, each rule on its own line.
  auto devices =
      run_snet({"validate", source_path("topology/rules.json"), source_path("topology/home.json")});
  CHECK(devices.status == 0);
  for (const char* expected :
       {"OK: rules, 1 buttons, 2 actuators, 2 sensors (2 readings/s), 3 rules\n",
        "  rule too-warm: temperature of thermo-1 (1 sensor) above 24 -> all_off -> heater-1\n",
        "  rule overheat: temperature of any sensor (2 sensors) above 30 -> all_on -> alarm-1\n",
        "OK: home, 2 buttons, 3 actuators (3 composite: 4 readings/s)\n"}) {
    CHECK_MESSAGE(devices.output.find(expected) != std::string::npos, expected, "\n",
                  devices.output);
  }

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
  CHECK(not_json.output.find("- line 1, column 10: expected a value, found the end of the text") !=
        std::string::npos);
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
  Emulation path("tests/topology/single-builtin.json", "single");
  path.start();
  auto pressed = run_snet({"press", "button-1", "--topology", path.topology_path, "--broker-url",
                           path.mosquitto->url()});
  REQUIRE_MESSAGE(pressed.status == 0, pressed.output);
  const std::string id = pressed.output.substr(0, pressed.output.find('\n'));
  REQUIRE(path.recorder->wait_for(path.topic("trigger", "button-1"), id));
  auto state = path.wait_state("actuator-1", id);
  REQUIRE_MESSAGE(state, path.logs());
  CHECK(state->on);

  auto direct = run_snet({"press", "button-1", "--direct", "--id", "direct-1", "--topology",
                          path.topology_path, "--broker-url", path.mosquitto->url()});
  REQUIRE_MESSAGE(direct.status == 0, direct.output);
  CHECK(direct.output == "direct-1\n");
  auto flipped = path.wait_state("actuator-1", "direct-1");
  REQUIRE(flipped);
  CHECK_FALSE(flipped->on);

  auto unknown = run_snet({"press", "button-9", "--topology", path.topology_path, "--broker-url",
                           path.mosquitto->url()});
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

TEST_CASE("snet press, health, ctl and link find a running snet up from --data-dir alone") {
  // Not the default topology, not the default ports: only run.json can tell where it runs.
  SnetUp::Options options;
  options.topology = "tests/topology/wiring-builtin.json";
  options.topology_name = "wiring";
  SnetUp up(options);
  const std::string data_dir = up.data_dir();
  // Nothing from this test's environment may point the commands elsewhere.
  const std::map<std::string, std::string> clean = {
      {"SNET_BROKER_URL", ""}, {"SNET_TOPOLOGY", ""}, {"SNET_URL", ""}, {"SNET_DATA_DIR", ""}};

  const auto run = nlohmann::json::parse(read_text(data_dir + "/run.json"));
  CHECK(run["topology_name"] == "wiring");
  CHECK(run["topology"] == source_path("tests/topology/wiring-builtin.json"));
  CHECK(run["data_dir"] == data_dir);
  CHECK(run["broker_kind"] == "mosquitto");
  // The operator's login, its password in a file of its own, never in run.json.
  CHECK(run["mqtt_url"] == "mqtt://snet.up@127.0.0.1:" + std::to_string(up.mqtt_port()));
  CHECK(run["broker_password_file"] == data_dir + "/credentials/snet.up.password");
  CHECK(run.dump().find(up.mqtt_url().substr(15, 32)) == std::string::npos);
  CHECK(run["http_url"] == "http://127.0.0.1:" + std::to_string(up.http_port()));
  CHECK(run["supervisor_url"] == "http://127.0.0.1:" + std::to_string(up.control_port()));
  CHECK(run["pid"] == up.pid());
  CHECK(run["version"] == snet::version());

  auto pressed = run_snet({"press", "door-a", "--data-dir", data_dir}, 20s, clean);
  REQUIRE_MESSAGE(pressed.status == 0, pressed.output);
  const std::string id = pressed.output.substr(0, pressed.output.find('\n'));
  const bool applied = eventually(
      [&] {
        const auto got = http_request("GET", up.http_port(), "/api/devices/porch-lamp");
        const auto view = nlohmann::json::parse(got.body, nullptr, false);
        return got.status == 200 && view.is_object() && view.value("press_id", "") == id;
      },
      10s);
  CHECK_MESSAGE(applied, "press ", id, " never reached porch-lamp");

  auto health = run_snet({"health", "--data-dir", data_dir}, 20s, clean);
  CHECK_MESSAGE(health.status == 0, health.output);
  for (const char* service : {"healthy: ", "relayer", "whisk", "state", "agent"}) {
    CHECK_MESSAGE(health.output.find(service) != std::string::npos, service, "\n", health.output);
  }
  CHECK(health.output.find("broker") == std::string::npos);  // no status of its own
  auto one = run_snet({"health", "relayer", "--data-dir", data_dir}, 20s, clean);
  CHECK_MESSAGE(one.status == 0, one.output);
  CHECK(one.output == "healthy\n");

  auto services = run_snet({"ctl", "services", "--data-dir", data_dir}, 20s, clean);
  CHECK_MESSAGE(services.status == 0, services.output);
  CHECK(services.output.find("relayer") != std::string::npos);
  auto links = run_snet({"link", "--data-dir", data_dir}, 20s, clean);
  CHECK(links.output.find("no `snet up` running") == std::string::npos);

  // A second stack on the same data dir would share the broker's persistence: refused.
  auto second = run_snet({"up", "single", "--data-dir", data_dir, "--mqtt-port",
                          std::to_string(free_port()), "--http-port", std::to_string(free_port())},
                         20s, clean);
  CHECK(second.status == 1);
  CHECK(second.output.find("already runs with data dir " + data_dir) != std::string::npos);

  up.process().signal(SIGTERM);
  REQUIRE(up.process().wait_for(10s));
  auto gone = run_snet({"press", "door-a", "--data-dir", data_dir}, 20s, clean);
  CHECK(gone.status == 1);
  CHECK_MESSAGE(
      gone.output.find("no `snet up` running with data dir " + data_dir) != std::string::npos,
      gone.output);
  auto ctl_gone = run_snet({"ctl", "services", "--data-dir", data_dir}, 20s, clean);
  CHECK(ctl_gone.status == 1);
  CHECK(ctl_gone.output.find("pass --url URL") != std::string::npos);
}

TEST_CASE("every program answers --version, and snet and each command --help, with exit 0") {
  for (const char* program : {"snet", "snet-agent", "snet-relayer", "snet-state", "snet-whisk"}) {
    CAPTURE(program);
    TempDir dir;
    ChildProcess child({built_program(program), "--version"},
                       ChildProcess::Options{{}, dir.path() + "/out", "=stdout", true});
    REQUIRE(child.wait_for(10s));
    CHECK(WIFEXITED(*child.exit_status()));
    CHECK(WEXITSTATUS(*child.exit_status()) == 0);
    CHECK(read_text(dir.path() + "/out") == std::string(program) + " " + snet::version() + "\n");
    // The logging flags are declared once (core's log_flags) and offered by every service.
    ChildProcess help(
        {built_program(program), program == std::string("snet") ? "up" : "--help", "--help"},
        ChildProcess::Options{{}, dir.path() + "/help", "=stdout", true});
    REQUIRE(help.wait_for(10s));
    const std::string text = read_text(dir.path() + "/help");
    CHECK_MESSAGE(text.find("--log-format VALUE") != std::string::npos, text);
    CHECK_MESSAGE(text.find("--log-level VALUE") != std::string::npos, text);
  }
  struct Case {
    std::vector<std::string> args;
    std::string usage;
  };
  const std::vector<Case> cases = {
      {{"--help"}, "usage: snet COMMAND"},
      {{"up", "--help"}, "usage: snet up [TOPOLOGY]"},
      {{"press", "--help"}, "usage: snet press BUTTON"},
      {{"validate", "--help"}, "usage: snet validate FILE..."},
      {{"health", "--help"}, "usage: snet health [SERVICE...]"},
      {{"ctl", "--help"}, "usage: snet ctl COMMAND"},
      {{"link", "--help"}, "usage: snet link [ID]"},
      {{"run", "--help"}, "usage: snet run SCENARIO"},
      {{"compose", "--help"}, "usage: snet compose [TOPOLOGY]"},
      {{"actions", "--help"}, "usage: snet actions deploy [DIR]"},
      {{"actions", "deploy", "--help"}, "usage: snet actions deploy [DIR]"},
      {{"press", "--version"}, "snet " + std::string(snet::version())},
  };
  for (const auto& c : cases) {
    CAPTURE(c.usage);
    const auto got = run_snet(c.args);
    CHECK_MESSAGE(got.status == 0, got.output);
    CHECK_MESSAGE(got.output.rfind(c.usage, 0) == 0, got.output);
  }
}

TEST_CASE("snet validate takes topology names as snet up does") {
  auto named = run_snet({"validate", "wiring", "field"});
  CHECK_MESSAGE(named.status == 0, named.output);
  CHECK(named.output.find("OK: wiring, 3 buttons, 4 actuators") != std::string::npos);
  CHECK(named.output.find("OK: field,") != std::string::npos);
  auto unknown = run_snet({"validate", "no-such-topology"});
  CHECK(unknown.status == 1);
  CHECK(unknown.output.find("cannot open") != std::string::npos);
}
