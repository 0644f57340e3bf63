// `snet up` with several computes in one topology (topology/edge_cloud.json and variants): each
// compute gets its own relayers, which take only its buttons' presses. The cloud compute's
// presses become activations on its OpenWhisk, the edge compute's never do; with one compute's
// relayers stopped (SIGSTOP), the other compute's presses are still applied, and the stopped
// compute's press waits at the broker until its relayers are back.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <fstream>

#include "curl_util.hpp"
#include "snet_up.hpp"
#include "whisk_fixture.hpp"
#include "whisk_key.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// The actuator's last applied press id in the REST API ("" when none).
std::string applied_press(SnetUp& up, const std::string& actuator) {
  const auto got = http_request("GET", up.http_port(), "/api/devices/" + actuator);
  const auto view = nlohmann::json::parse(got.body, nullptr, false);
  if (!view.is_object() || !view.contains("press_id") || !view["press_id"].is_string()) return "";
  return view["press_id"].get<std::string>();
}

void press(SnetUp& up, const std::string& topology, const std::string& button,
           const std::string& id) {
  REQUIRE(mosquitto_pub(up.mqtt_port(), "snet/" + topology + "/press/" + button,
                        R"({"id":")" + id + R"("})") == 0);
}

// Activations of `action` on an OpenWhisk (namespace "_" unless given).
std::size_t activations(const std::string& apihost, const std::string& key,
                        const std::string& action, const std::string& ns = "_") {
  const auto reply = openwhisk::http_call(
      "GET", apihost + "/api/v1/namespaces/" + ns + "/activations?name=" + action + "&limit=200",
      key, "", 10s);
  const auto list = nlohmann::json::parse(reply.body, nullptr, false);
  REQUIRE_MESSAGE(list.is_array(), reply.status << " " << reply.body);
  return list.size();
}

std::map<std::string, std::string> no_wskprops(const TempDir& dir) {
  return {{"WSK_CONFIG_FILE", dir.path() + "/absent"}};
}

struct Pair {
  std::string button, actuator;
};

// With `paused` relayers hung (SIGSTOP), a press of `waiting` waits at the broker while presses
// of `running` (another compute's) are applied; once resumed, the waiting press is applied.
void check_compute_waits(SnetUp& up, const std::string& topology,
                         const std::vector<std::string>& paused, const Pair& waiting,
                         const Pair& running, const std::string& id) {
  for (const auto& name : paused) {
    REQUIRE(up.control(name, "pause").status == 200);
    REQUIRE(up.wait_service(name, [](const auto& s) { return s["state"] == "paused"; }));
  }
  press(up, topology, waiting.button, id);
  CHECK_FALSE(up.press_until_applied(running.button, running.actuator, id + "-other").empty());
  CHECK(applied_press(up, waiting.actuator) != id);  // not taken by the other compute's relayer
  for (const auto& name : paused) REQUIRE(up.control(name, "resume").status == 200);
  CHECK(eventually([&] { return applied_press(up, waiting.actuator) == id; }, 20s));
}

}  // namespace

TEST_CASE("snet up edge_cloud: each compute's relayers take only its buttons' presses") {
  TempDir dir("computes");
  SnetUp::Options options;
  options.topology = "topology/edge_cloud.json";
  options.topology_name = "edge_cloud";
  options.env = no_wskprops(dir);
  SnetUp up(options);
  INFO(up.output());
  for (const char* name : {"relayer-edge", "relayer-cloud-1", "relayer-cloud-2", "whisk"}) {
    CAPTURE(name);
    CHECK(up.service(name)["state"] == "running");
  }
  CHECK(up.service("relayer").is_null());  // no button uses the default compute
  CHECK(up.output().find("compute 'cloud' at http://127.0.0.1:") != std::string::npos);

  // The topology in the REST API says which compute each button uses.
  const auto topo = nlohmann::json::parse(http_request("GET", up.http_port(), "/api/topology").body,
                                          nullptr, false);
  REQUIRE(topo.is_object());
  for (const auto& device : topo["devices"]) {
    if (device["id"] == "garden") CHECK(device["compute"]["name"] == "cloud");
    if (device["id"] == "hall") CHECK(device["compute"]["name"] == "edge");
  }

  const auto run = nlohmann::json::parse(read_text(up.data_dir() + "/run.json"), nullptr, false);
  const std::string apihost = run.value("openwhisk_apihost", "");
  const auto key = openwhisk::existing_data_dir_key(up.data_dir() + "/whisk");
  REQUIRE(key.has_value());

  // Cloud presses are OpenWhisk activations; edge presses are not.
  CHECK_FALSE(up.press_until_applied("garden", "garden-lamp", "cloud").empty());
  const std::size_t after_cloud = activations(apihost, *key, "flip_switch");
  CHECK(after_cloud >= 1);
  CHECK_FALSE(up.press_until_applied("hall", "hall-lamp", "edge").empty());
  CHECK_FALSE(up.press_until_applied("porch", "porch-lamp", "edge").empty());
  CHECK(activations(apihost, *key, "flip_switch") == after_cloud);

  // The cloud's relayers hang: its press waits, the edge's presses are still applied.
  check_compute_waits(up, "edge_cloud", {"relayer-cloud-1", "relayer-cloud-2"},
                      {"garage", "garage-door"}, {"hall", "hall-lamp"}, "waiting-cloud");
  CHECK(activations(apihost, *key, "flip_switch") > after_cloud);
  // And the other way round.
  check_compute_waits(up, "edge_cloud", {"relayer-edge"}, {"porch", "porch-lamp"},
                      {"garden", "garden-lamp"}, "waiting-edge");
}

TEST_CASE("snet up: a compute on another OpenWhisk, its key from the variable auth_env names") {
  const char* const key = "cloud-uuid:cloud-secret-77";
  WhiskServer cloud(
      {"--auth", key, "--namespace", "team", "--actions-dir", source_path("actions")});
  TempDir dir("computes-ext");
  const std::string topology = dir.path() + "/two.json";
  std::ofstream(topology) << R"({"name": "two",
    "computes": {"cloud": {"backend": "openwhisk", "apihost": ")"
                          << cloud.apihost() << R"(", "namespace": "team",
                           "auth_env": "TWO_CLOUD_AUTH"}},
    "compute": {"backend": "builtin", "action": "flip_switch"},
    "devices": [
      {"id": "local", "kind": "button", "targets": ["lamp-1"]},
      {"id": "remote", "kind": "button", "targets": ["lamp-2"],
       "compute": {"use": "cloud", "action": "flip_switch"}},
      {"id": "lamp-1", "kind": "actuator"}, {"id": "lamp-2", "kind": "actuator"}]})";
  SnetUp::Options options;
  options.topology = topology;
  options.topology_name = "two";
  options.env = no_wskprops(dir);
  SUBCASE("without the variable: a start-up error naming it") {
    options.wait_until_up = false;
    SnetUp up(options);
    REQUIRE(up.process().wait_for(60s));
    INFO(up.output());
    CHECK(WEXITSTATUS(*up.process().exit_status()) == 1);
    CHECK(up.output().find("$TWO_CLOUD_AUTH") != std::string::npos);
  }
  SUBCASE("with it: the default compute's relayer and the cloud's, each applying its presses") {
    options.env["TWO_CLOUD_AUTH"] = key;
    SnetUp up(options);
    INFO(up.output());
    CHECK(up.service("relayer")["state"] == "running");
    CHECK(up.service("relayer-cloud")["state"] == "running");
    CHECK(up.output().find("compute 'cloud' at " + cloud.apihost() +
                           " (namespace team) has the topology's actions: flip_switch") !=
          std::string::npos);
    CHECK_FALSE(up.press_until_applied("remote", "lamp-2", "remote").empty());
    CHECK(activations(cloud.apihost(), key, "flip_switch", "team") >= 1);
    const std::size_t before = activations(cloud.apihost(), key, "flip_switch", "team");
    CHECK_FALSE(up.press_until_applied("local", "lamp-1", "local").empty());
    CHECK(activations(cloud.apihost(), key, "flip_switch", "team") == before);
  }
}

TEST_CASE("snet validate lists the computes and the buttons that use each") {
  const auto run = run_snet({"validate", source_path("topology/edge_cloud.json")});
  INFO(run.output);
  CHECK(run.status == 0);
  CHECK(run.output.find("compute cloud (openwhisk on the bundled snet-whisk, 2 relayers): "
                        "garden, garage") != std::string::npos);
  CHECK(run.output.find("compute edge (builtin, 1 relayer): hall, porch") != std::string::npos);
}

TEST_CASE("snet up on RabbitMQ: each compute its own queue, and a stopped compute's presses wait") {
  TempDir dir("computes-amqp");
  const std::string topology = dir.path() + "/amqp.json";
  std::ofstream(topology) << R"({"name": "computes_amqp", "broker": "rabbitmq",
    "computes": {"edge": {"backend": "builtin"}, "cloud": {"backend": "builtin", "relayers": 2}},
    "compute": {"use": "edge", "action": "flip_switch"},
    "devices": [
      {"id": "near", "kind": "button", "targets": ["lamp-1"]},
      {"id": "far", "kind": "button", "targets": ["lamp-2"], "compute": {"use": "cloud"}},
      {"id": "lamp-1", "kind": "actuator"}, {"id": "lamp-2", "kind": "actuator"}]})";
  SnetUp::Options options;
  options.topology = topology;
  options.topology_name = "computes_amqp";
  options.env = no_wskprops(dir);
  options.extra_args = {"--start-timeout-s", "60"};
  options.ready_timeout = 120s;
  SnetUp up(options);
  INFO(up.output());
  CHECK_FALSE(up.press_until_applied("near", "lamp-1", "near").empty());
  CHECK_FALSE(up.press_until_applied("far", "lamp-2", "far").empty());
  check_compute_waits(up, "computes_amqp", {"relayer-cloud-1", "relayer-cloud-2"},
                      {"far", "lamp-2"}, {"near", "lamp-1"}, "amqp-waiting-cloud");
  check_compute_waits(up, "computes_amqp", {"relayer-edge"}, {"near", "lamp-1"}, {"far", "lamp-2"},
                      "amqp-waiting-edge");
}
