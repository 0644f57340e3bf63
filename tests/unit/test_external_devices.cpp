// External devices ("kind": "external", docs/external-devices.md): read from the topology as the
// role they play, never hosted by an agent, logged in and allowed exactly like an emulated
// device of that role, and told how to connect by `snet up` (cli/external_devices.hpp).
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>

#include "broker_accounts.hpp"
#include "compose_override.hpp"
#include "device_selection.hpp"
#include "external_devices.hpp"
#include "harness.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/flags.hpp"
#include "snet/topology.hpp"
#include "topology_errors.hpp"

using namespace snet;
using snet::test::errors_of;
using snet::test::mentions;

namespace {

const char* const kTopology = R"({
  "name": "byo",
  "devices": [
    {"id": "wall-button", "kind": "button", "targets": ["py-lamp", "lamp"]},
    {"id": "py-lamp", "kind": "external", "plays": "actuator",
     "command": ["/usr/bin/python3", "lamp.py"], "image": "example/lamp:1"},
    {"id": "py-button", "kind": "external", "plays": "button", "targets": ["lamp"]},
    {"id": "lamp", "kind": "actuator"}
  ]
})";

// The ACL lines of `user`, with its id replaced by "ID" (to compare two users' rules).
std::vector<std::string> rules_of(const std::string& acl, const std::string& user) {
  std::vector<std::string> rules;
  std::istringstream in(acl);
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.rfind("user ", 0) == 0) current = line.substr(5);
    if (line.rfind("topic ", 0) != 0 || current != user) continue;
    for (auto at = line.find(user); at != std::string::npos; at = line.find(user)) {
      line.replace(at, user.size(), "ID");
    }
    rules.push_back(line);
  }
  return rules;
}

}  // namespace

TEST_CASE("external: a device another program plays is read as the role it plays") {
  const Topology t = parse_topology_text(kTopology);
  const Device& lamp = *t.find("py-lamp");
  CHECK(lamp.external);
  CHECK(lamp.kind == DeviceKind::actuator);
  CHECK(lamp.command == std::vector<std::string>{"/usr/bin/python3", "lamp.py"});
  CHECK(lamp.image == "example/lamp:1");
  const Device& button = *t.find("py-button");
  CHECK(button.external);
  CHECK(button.kind == DeviceKind::button);
  CHECK(button.command.empty());
  CHECK_FALSE(t.find("lamp")->external);
  // Routing treats it as any actuator or button.
  CHECK(t.targets_of("wall-button") == std::vector<std::string>{"py-lamp", "lamp"});
  CHECK(t.targets_of("py-button") == std::vector<std::string>{"lamp"});
  CHECK(t.sources_of("py-lamp") == std::vector<std::string>{"wall-button"});
  CHECK(t.actuators().size() == 2);
  // On RabbitMQ it speaks MQTT (the plugin) unless it says otherwise.
  const Topology r = parse_topology_text(R"({"name": "r", "broker": "rabbitmq", "devices": [
    {"id": "x", "kind": "external", "plays": "actuator"},
    {"id": "y", "kind": "external", "plays": "actuator", "protocol": "amqp"},
    {"id": "z", "kind": "actuator"}]})");
  CHECK(r.find("x")->protocol == Protocol::mqtt);
  CHECK(r.find("y")->protocol == Protocol::amqp);
  CHECK(r.find("z")->protocol == Protocol::amqp);
}

TEST_CASE("external: a wrong plays, command or image is named with its device") {
  auto errors = errors_of(R"({"name": "e", "devices": [
    {"id": "x1", "kind": "external"},
    {"id": "x2", "kind": "external", "plays": "lamp"},
    {"id": "x3", "kind": "external", "plays": "external"},
    {"id": "x4", "kind": "external", "plays": "actuator", "command": []},
    {"id": "x5", "kind": "external", "plays": "actuator", "command": ["python3", 5]},
    {"id": "x6", "kind": "external", "plays": "actuator", "command": "python3 lamp.py"},
    {"id": "x7", "kind": "external", "plays": "actuator", "image": ""},
    {"id": "x8", "kind": "external", "plays": "actuator", "command": [""]},
    {"id": "b1", "kind": "button", "targets": ["x2"], "plays": "button", "command": ["a"]},
    {"id": "l1", "kind": "lamp"}]})");
  CAPTURE(errors.size());
  CHECK(mentions(errors, "devices[0] 'x1': missing field 'plays'"));
  CHECK(mentions(errors, "devices[1] 'x2': field 'plays' is 'lamp', expected one of: button"));
  CHECK(mentions(errors, "devices[2] 'x3': field 'plays' is 'external'"));
  CHECK(mentions(errors, "devices[3] 'x4': 'command' must name a program"));
  CHECK(mentions(errors, "devices[4] 'x5': every entry of 'command' must be a string"));
  CHECK(mentions(errors, "devices[5] 'x6': 'command' must be an array"));
  CHECK(mentions(errors, "devices[6] 'x7': 'image' must name a container image"));
  CHECK(mentions(errors, "devices[7] 'x8': 'command' must not start with an empty program"));
  CHECK(mentions(errors, "devices[8] 'b1': 'plays' is only for \"kind\": \"external\""));
  CHECK(mentions(errors, "devices[8] 'b1': 'command' is only for \"kind\": \"external\""));
  // The list of kinds offers external too.
  CHECK(mentions(errors, "devices[9] 'l1': field 'kind' is 'lamp', expected one of: button"));
  CHECK(mentions(errors, ", external"));
}

TEST_CASE("external: no agent hosts an external device, and naming one is refused") {
  const Topology t = parse_topology_text(kTopology);
  const auto all = agents::select_devices(t, "all", "all");
  REQUIRE(all.size() == 2);
  CHECK(all[0]->id == "wall-button");
  CHECK(all[1]->id == "lamp");
  CHECK(agents::select_devices(t, "all", "actuators").size() == 1);
  CHECK_THROWS_WITH_AS(agents::select_devices(t, "lamp,py-lamp", "all"),
                       doctest::Contains("'py-lamp' is an external device"), UsageError);
}

TEST_CASE("external: its login and ACL are those of an emulated device of its role") {
  const Topology t = parse_topology_text(kTopology);
  const std::string acl = cli::mosquitto_acl(t, {});
  CHECK_FALSE(rules_of(acl, "py-lamp").empty());
  CHECK(rules_of(acl, "py-lamp") == rules_of(acl, "lamp"));
  CHECK(rules_of(acl, "py-button") == rules_of(acl, "wall-button"));

  test::TempDir dir("snet-external");
  std::map<std::string, std::string> passwords;
  const cli::BrokerAccounts accounts = cli::keep_broker_passwords(t, {}, dir.path(), passwords);
  // Its own password file, readable by its owner only; not in the agent's devices file.
  const std::string& file = accounts.password_file("py-lamp");
  CHECK(read_secret_file(file) == passwords.at("py-lamp"));
  const auto mode = std::filesystem::status(file).permissions() & std::filesystem::perms::all;
  const bool owner_only =
      mode == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  CHECK(owner_only);
  const auto agent_devices = read_credentials_file(accounts.devices_file);
  CHECK(agent_devices.count("lamp") == 1);
  CHECK(agent_devices.count("py-lamp") == 0);
  CHECK(agent_devices.count("py-button") == 0);
  CHECK_THROWS_AS((void)accounts.password_file("lamp"), std::out_of_range);

  // What its program is told: the URL with its user, the password's file, never the password.
  cli::ExternalConnection connection;
  connection.mqtt_url = "mqtt://127.0.0.1:1883";
  connection.accounts = &accounts;
  connection.topology_path = "/etc/byo.json";
  const auto env = cli::external_device_env(t, *t.find("py-lamp"), connection);
  CHECK(env.at("SNET_BROKER_URL") == "mqtt://py-lamp@127.0.0.1:1883");
  CHECK(env.at("SNET_BROKER_USER") == "py-lamp");
  CHECK(env.at("SNET_BROKER_PASSWORD_FILE") == file);
  CHECK(env.at("SNET_BROKER_PASSWORD").empty());
  CHECK(env.at("SNET_TOPOLOGY") == "/etc/byo.json");
  CHECK(env.at("SNET_TOPOLOGY_NAME") == "byo");
  CHECK(env.at("SNET_DEVICE_ID") == "py-lamp");
  CHECK(env.at("SNET_DEVICE_ROLE") == "actuator");
  CHECK(env.at("SNET_CLIENT_ID") == "snet-byo-py-lamp");
  CHECK(env.at("SNET_SUBSCRIBE") == "snet/byo/cmd/py-lamp");
  CHECK(cli::external_device_env(t, *t.find("py-button"), connection).at("SNET_SUBSCRIBE") ==
        "snet/byo/trigger/py-button");
  const std::string text = cli::external_devices_text(t, connection, "/logs");
  CHECK(text.find("external device py-lamp (plays actuator): run by snet up as "
                  "external-py-lamp, log /logs/external-py-lamp.log") != std::string::npos);
  CHECK(text.find("external device py-button (plays button): yours to run") != std::string::npos);
  CHECK(text.find(passwords.at("py-lamp")) == std::string::npos);
  CHECK(text.find("SNET_BROKER_PASSWORD=") == std::string::npos);
}

TEST_CASE("external: snet compose runs its image with its login, no agent container hosts it") {
  const Topology t = parse_topology_text(kTopology);
  for (const bool per_site : {false, true}) {
    CAPTURE(per_site);
    const std::string y = cli::compose_override(t, {"/t.json", "snet compose t", per_site});
    for (const char* id : {"py-lamp", "py-button"}) {
      CAPTURE(id);
      CHECK(y.find("\"--devices\", \"" + std::string(id)) == std::string::npos);
      CHECK(y.find("," + std::string(id) + "\"") == std::string::npos);
      CHECK(y.find("agent-" + std::string(id)) == std::string::npos);
    }
    CHECK(y.find("  device-py-lamp:\n    image: \"example/lamp:1\"\n") != std::string::npos);
    CHECK(y.find("SNET_BROKER_URL: \"mqtt://py-lamp@mosquitto:1883\"") != std::string::npos);
    CHECK(y.find("SNET_BROKER_PASSWORD_FILE: \"/data/secrets/credentials/py-lamp.password\"") !=
          std::string::npos);
    CHECK(y.find("SNET_SUBSCRIBE: \"snet/byo/cmd/py-lamp\"") != std::string::npos);
    CHECK(y.find("device-py-button") == std::string::npos);  // no image: run elsewhere
  }
}

TEST_CASE("external: topology/external.json is valid and its command names the shipped example") {
  const std::string path = test::source_path("topology/external.json");
  const Topology t = load_topology(path);
  const Device* lamp = t.find("py-lamp");
  REQUIRE(lamp != nullptr);
  CHECK(lamp->external);
  CHECK(lamp->kind == DeviceKind::actuator);
  CHECK(t.targets_of("hall-button") == std::vector<std::string>{"py-lamp", "lamp"});
  // snet up runs it in the topology's directory.
  REQUIRE(lamp->command.size() == 2);
  const auto script = std::filesystem::path(path).parent_path() / lamp->command[1];
  CHECK(std::filesystem::is_regular_file(script));
}
