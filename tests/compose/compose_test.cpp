// The whole stack in containers, as a user runs it: docker-compose.yml built and started with
// docker-compose (v1.29, Debian's), presses published with mosquitto_pub from the host, results
// read from the dashboard's REST API and WebSocket, services restarted and devices stopped with
// the Docker clients. Run by ctest with label `compose` (see compose_main.cpp for when it skips).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <regex>

#include <nlohmann/json.hpp>

#include "../../openwhisk/whisk_defaults.hpp"  // the guest key (not on the include path here)
#include "compose_project.hpp"
#include "harness.hpp"
#include "snet/broker_credentials.hpp"
#include "ws_client.hpp"

namespace snet::test {
namespace {
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kServices = {"mosquitto", "rabbitmq", "whisk",
                                            "state",     "relayer",  "agent"};
const std::vector<std::string> kDevices = {"button-1",   "actuator-1", "button-2",
                                           "actuator-2", "button-3",   "actuator-3"};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// topology/single.json's devices, except that button-3's presses run the flip_switch action on
// the bundled whisk service (the relayer's OpenWhisk backend), and the second pair sits in a
// site ("annex": a Docker network of its own with `snet compose`); same name, so the state
// carries on.
constexpr const char* kWhiskTopology = R"json({
  "name": "single",
  "description": "single.json, with button-3 computed by OpenWhisk and an annex site (compose test)",
  "sites": [{"id": "annex", "link": {"latency_ms": 5}}],
  "devices": [
    {"id": "button-1", "kind": "button", "targets": ["actuator-1"]},
    {"id": "actuator-1", "kind": "actuator"},
    {"id": "button-2", "kind": "button", "targets": ["actuator-2"], "site": "annex"},
    {"id": "actuator-2", "kind": "actuator", "site": "annex"},
    {"id": "button-3", "kind": "button", "targets": ["actuator-3"],
     "compute": {"backend": "openwhisk", "action": "flip_switch"}},
    {"id": "actuator-3", "kind": "actuator"}
  ]
})json";

// A `snet compose` override for that topology (a file outside ./topology: the override mounts
// it into every container), in a temporary folder.
struct DeviceOverride {
  TempDir dir{"snet-compose"};
  std::string topology = dir.path() + "/single-whisk.json";
  std::string path = dir.path() + "/devices.yml";
  CommandResult made;

  DeviceOverride() {
    std::ofstream(topology) << kWhiskTopology;
    made = run_command(shell_quote(built_program("snet")) + " compose " + shell_quote(topology) +
                           " -o " + shell_quote(path),
                       std::chrono::seconds(30));
  }
};

json get_json(int port, const std::string& target) {
  const HttpResult result = http_request("GET", port, target);
  if (result.status != 200) return json();
  return json::parse(result.body, nullptr, false);
}

// The actuator's current state as the REST API shows it once it carries `press_id`.
std::optional<json> await_state(int port, const std::string& actuator, const std::string& press_id,
                                std::chrono::milliseconds limit) {
  std::optional<json> seen;
  eventually(
      [&] {
        const json device = get_json(port, "/api/devices/" + actuator);
        if (device.is_object() && device.value("press_id", "") == press_id) seen = device;
        return seen.has_value();
      },
      limit);
  return seen;
}

// A counter of `service` as its last status reported it (via the state service's /api/health).
double service_metric(int port, const std::string& service, const std::string& metric) {
  const json health = get_json(port, "/api/health");
  if (!health.is_object() || !health.contains("services") ||
      !health["services"].contains(service)) {
    return 0;
  }
  const json& metrics = health["services"][service]["metrics"];
  return metrics.contains(metric) && metrics[metric].is_number() ? metrics[metric].get<double>()
                                                                 : 0;
}

// Whether the state service currently sees `service` online (its /api/health).
bool service_online(int port, const std::string& service) {
  const json health = get_json(port, "/api/health");
  return health.is_object() && health.contains("services") &&
         health["services"].contains(service) && health["services"][service].value("online", false);
}

std::string press_id(const std::string& step) {
  return "compose-" + std::to_string(::getpid()) + "-" + step;
}

bool press(int mqtt_port, const std::string& button, const std::string& id) {
  return mosquitto_pub(mqtt_port, "snet/single/press/" + button, json{{"id", id}}.dump()) == 0;
}

// Run on the host with Node.js and the openwhisk npm client of whisk/runtime (which the whisk
// image ships too), against the whisk service's published port: checks that OpenWhisk's guest
// key is refused, then creates an action that calls flip_switch through require('openwhisk')
// inside the container and invokes it. Prints one JSON line.
constexpr const char* kClientScript = R"js(
const openwhisk = require('openwhisk');
const apihost = process.env.OW_APIHOST;
const calls = `const openwhisk = require('openwhisk');
async function main(params) {
  const inner = await openwhisk().actions.invoke({name: 'flip_switch', blocking: true, result: true, params});
  return {node: process.version, inner};
}`;
(async () => {
  const out = {};
  try {
    await openwhisk({apihost, api_key: process.env.OW_GUEST_KEY}).actions.list();
    out.guest = 'accepted';
  } catch (e) {
    out.guest = e.statusCode;
  }
  const key = require('fs').readFileSync(process.env.OW_KEY_FILE, 'utf8').trim();
  const ow = openwhisk({apihost, api_key: key});
  await ow.actions.update({name: 'compose_calls', action: calls,
                           annotations: {'provide-api-key': true}});
  out.result = await ow.actions.invoke({name: 'compose_calls', blocking: true, result: true,
                                       params: {targets: [{id: 'lamp', on: false}]}});
  console.log(JSON.stringify(out));
})().catch((e) => console.log(JSON.stringify({error: String(e.message || e)})));
)js";

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// The broker's logins and the API token that docker-compose.yml's credentials service made, as
// seen from the host: anonymous clients press and read states only, services log in with their
// passwords from files (never in `docker inspect`), changes to the state API need the token.
void check_logins(const ComposeProject& project) {
  const int mqtt = project.ports().mqtt;
  const int dashboard = project.ports().dashboard;
  // Anonymous: a subscription to '#' receives the states only, a published state is dropped.
  Recorder anonymous("mqtt://127.0.0.1:" + std::to_string(mqtt), {"#"});
  const std::string forged = press_id("forged");
  CHECK(mosquitto_pub(mqtt, "snet/single/state/actuator-1",
                      json{{"on", false}, {"press_id", forged}}.dump()) == 0);
  const std::string id = press_id("anonymous");
  REQUIRE(press(mqtt, "button-1", id));  // pressing stays open, as the README promises
  CHECK(await_state(dashboard, "actuator-1", id, std::chrono::seconds(15)));
  CHECK(anonymous.wait_for("snet/single/state/actuator-1", id, std::chrono::seconds(15)));
  std::size_t commands = 0, others = 0;
  for (const auto& message : anonymous.messages()) {
    if (message.topic.find("/cmd/") != std::string::npos) ++commands;
    if (message.topic.rfind("snet/single/state/", 0) != 0) ++others;
    CHECK_MESSAGE(message.payload.find(forged) == std::string::npos, message.topic);
  }
  CHECK_MESSAGE(commands == 0, commands << " commands reached an anonymous client");
  CHECK_MESSAGE(others == 0, others << " messages besides states reached an anonymous client");
  const json events = get_json(dashboard, "/api/events?device=actuator-1");
  CHECK_MESSAGE(events.dump().find(forged) == std::string::npos, "a forged state was stored");
  // A wrong password is refused (CONNACK 5).
  const CommandResult wrong = run_command(
      "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(mqtt) + " -u snet.relayer -P wrong -t x -n",
      std::chrono::seconds(30));
  CHECK_MESSAGE(wrong.status != 0, wrong.output);

  // No password in any container's environment or arguments: files only.
  const CommandResult stored =
      project.compose("exec -T state cat /data/secrets/credentials/broker.credentials");
  REQUIRE_MESSAGE(stored.status == 0, stored.output);
  const auto passwords = parse_credentials(stored.output);
  CHECK(passwords.count("snet.relayer") == 1);
  CHECK(passwords.count("button-1") == 1);
  for (const std::string service : {"mosquitto", "whisk", "state", "relayer", "agent"}) {
    const CommandResult seen = run_command(
        "docker inspect -f '{{json .Config.Env}} {{json .Config.Cmd}} {{json .Args}}' " +
            project.container(service),
        std::chrono::seconds(30));
    REQUIRE_MESSAGE(seen.status == 0, seen.output);
    for (const auto& [user, password] : passwords) {
      CHECK_MESSAGE(seen.output.find(password) == std::string::npos,
                    service << " shows the password of " << user);
    }
    if (service != "mosquitto") {
      CHECK_MESSAGE(seen.output.find("SNET_BROKER_PASSWORD_FILE=/data/secrets/credentials/snet." +
                                     service + ".password") != std::string::npos,
                    seen.output);
    }
  }

  // The state API: changes need the token the credentials service printed; reads do not.
  CHECK(http_request("POST", dashboard, "/api/devices/button-1/press").status == 401);
  const CommandResult token_file = project.compose("exec -T state cat /data/secrets/http-token");
  REQUIRE_MESSAGE(token_file.status == 0, token_file.output);
  const std::string token = trimmed(token_file.output);
  CHECK(token.size() >= 32);
  const CommandResult printed =
      project.compose("logs --no-color credentials", std::chrono::seconds(60));
  CHECK_MESSAGE(printed.output.find("/#token=" + token) != std::string::npos, printed.output);
  TempDir headers_dir("snet-compose-token");
  const std::string headers = headers_dir.path() + "/headers";
  std::ofstream(headers) << "Authorization: Bearer " << token << "\n";
  const CommandResult with_token = run_command(
      "curl -s -o /dev/null -w '%{http_code}' -X POST -H @" + shell_quote(headers) +
          " http://127.0.0.1:" + std::to_string(dashboard) + "/api/devices/button-1/press",
      std::chrono::seconds(30));
  CHECK_MESSAGE(with_token.output == "202", with_token.output);
}

// Prints the services' logs when a test step throws (a failed REQUIRE), before `down`.
}  // namespace

TEST_CASE("compose config: the compose file and a `snet compose` override are valid") {
  const std::string base = source_path("docker-compose.yml");
  DeviceOverride devices;
  REQUIRE_MESSAGE(devices.made.status == 0, devices.made.output);
  ComposeProject project("snet-config-" + std::to_string(::getpid()), {base});

  const CommandResult plain = project.compose("config");
  REQUIRE_MESSAGE(plain.status == 0, plain.output);
  // Every port is published on loopback only, and every service has a healthcheck.
  std::size_t published = 0;
  std::istringstream lines(plain.output);
  const std::regex port_mapping(R"(^\s*- (\S*):(\d+):(\d+)/tcp$)");  // how v1 prints ports
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (!std::regex_match(line, match, port_mapping)) continue;
    ++published;
    CHECK_MESSAGE(match[1] == "127.0.0.1", line);
  }
  CHECK(published == 5);  // dashboard, MQTT, AMQP, RabbitMQ's MQTT plugin and whisk
  std::size_t healthchecks = 0;
  for (std::size_t at = 0; (at = plain.output.find("healthcheck:", at)) != std::string::npos; ++at)
    ++healthchecks;
  CHECK(healthchecks == kServices.size());
  // The bundled whisk's key is generated on its volume and read from there by the relayer:
  // OpenWhisk's public guest key is nowhere in the file, no key is in an environment.
  CHECK(plain.output.find(openwhisk::kDevAuth) == std::string::npos);

  // The RabbitMQ cluster override: three nodes, each port on loopback only.
  ComposeProject cluster("snet-config-cluster-" + std::to_string(::getpid()),
                         {base, source_path("docker-compose.rabbitmq-cluster.yml")});
  const CommandResult nodes = cluster.compose("config");
  REQUIRE_MESSAGE(nodes.status == 0, nodes.output);
  for (const char* node : {"  rabbitmq:", "  rabbitmq-2:", "  rabbitmq-3:", "  rabbitmq-cookie:"})
    CHECK_MESSAGE(nodes.output.find(std::string("\n") + node) != std::string::npos, node);
  CHECK(nodes.output.find("0.0.0.0:") == std::string::npos);
  CHECK(plain.output.find("OPENWHISK_AUTH_FILE: /data/whisk/whisk.auth") != std::string::npos);
  CHECK(plain.output.find("- whisk-data:/data/whisk:ro") != std::string::npos);  // relayer
  CHECK(plain.output.find("- whisk-data:/data/whisk:rw") != std::string::npos);  // whisk
  // Broker logins: each Serverlessnet service gets the file of its password (written by the
  // one-shot credentials service), never a password; the API token is on.
  std::size_t password_files = 0;
  for (std::size_t at = 0;
       (at = plain.output.find("SNET_BROKER_PASSWORD_FILE: /data/secrets/credentials/", at)) !=
       std::string::npos;
       ++at)
    ++password_files;
  CHECK(password_files == 4);  // whisk, state, relayer, agent
  CHECK(plain.output.find("SNET_BROKER_PASSWORD:") == std::string::npos);
  CHECK(plain.output.find("condition: service_completed_successfully") != std::string::npos);
  CHECK(plain.output.find("SNET_HTTP_AUTH: auto") != std::string::npos);
  CHECK(plain.output.find("SNET_HTTP_AUTH: never") == std::string::npos);

  project.set_files({base, devices.path});
  const CommandResult services = project.compose("config --services");
  REQUIRE_MESSAGE(services.status == 0, services.output);
  for (const auto& device : kDevices) {
    CHECK_MESSAGE(services.output.find("device-" + device + "\n") != std::string::npos, device);
  }
  const CommandResult merged = project.compose("config");
  REQUIRE(merged.status == 0);
  CHECK(merged.output.find("/etc/serverlessnet/topology.json") != std::string::npos);
  CHECK(merged.output.find("all-in-one") != std::string::npos);
  // The override's mounts add to the base file's: the relayer keeps the whisk key's volume.
  CHECK(merged.output.find("- whisk-data:/data/whisk:ro") != std::string::npos);
  // The device containers' agents get logins of their own.
  CHECK(merged.output.find("SNET_COMPOSE_AGENTS: agent-button-1,") != std::string::npos);
  CHECK(merged.output.find("snet.agent-button-1.password") != std::string::npos);
  // The annex site is an internal network that its devices and the brokers join.
  CHECK(merged.output.find("site-annex") != std::string::npos);
  CHECK(merged.output.find("internal: true") != std::string::npos);
}

TEST_CASE(
    "compose stack: build, up, press from the host, restart, a device container rejoins, "
    "down -v") {
  const std::string base = source_path("docker-compose.yml");
  DeviceOverride devices;
  REQUIRE_MESSAGE(devices.made.status == 0, devices.made.output);
  for (const auto& stale : remove_stale_projects("snet-compose-test-", base)) {
    std::cout << "compose test: took down " << stale << ", left by an interrupted run\n";
  }
  ComposeProject project("snet-compose-test-" + std::to_string(::getpid()), {base});
  const auto& ports = project.ports();
  LogsOnFailure logs_on_failure{project};

  // ---- build: the images from the Dockerfile (cached layers make a rebuild quick) ----
  // SNET_COMPOSE_TEST_PREBUILT set: the images of image_tag() as they are (a second run of the
  // same checkout skips even the cached build).
  auto started = Clock::now();
  const char* prebuilt = std::getenv("SNET_COMPOSE_TEST_PREBUILT");
  const bool build_images = prebuilt == nullptr || *prebuilt == '\0';
  if (build_images) {
    const CommandResult build = project.compose("build", std::chrono::seconds(1500));
    REQUIRE_MESSAGE(build.status == 0, build.output);
  }
  const double build_s = seconds_since(started);
  // Keep the compile stage tagged (it is the cache of the next build) and drop this project's
  // older untagged images, so that repeated runs do not fill the disk.
  if (build_images) {
    const CommandResult keep =
        run_command("docker build -q --target build -t serverlessnet/build:" + image_tag() + " " +
                        shell_quote(source_path("")),
                    std::chrono::seconds(1500));
    CHECK_MESSAGE(keep.status == 0, keep.output);
    const CommandResult pruned = run_command(
        "docker image prune -f --filter label=org.serverlessnet.image", std::chrono::seconds(300));
    CHECK_MESSAGE(pruned.status == 0, pruned.output);
  }
  const CommandResult sizes = run_command(
      "docker images --format '{{.Repository}} {{.Size}}' "
      "--filter reference='serverlessnet/snet:" +
          image_tag() +
          "' "
          "--filter reference='serverlessnet/whisk:" +
          image_tag() +
          "' "
          "--filter reference='serverlessnet/mosquitto:" +
          image_tag() +
          "' "
          "--filter reference='serverlessnet/rabbitmq:" +
          image_tag() + "'",
      std::chrono::seconds(30));
  std::cout << "compose test: build took " << build_s << " s; images:\n" << sizes.output;
  // Runtime images: a non-root user and no compiler.
  for (const std::string image : {"snet", "whisk", "mosquitto", "rabbitmq"}) {
    const std::string ref = "serverlessnet/" + image + ":" + image_tag();
    const CommandResult user =
        run_command("docker image inspect -f '{{.Config.User}}' " + ref, std::chrono::seconds(30));
    REQUIRE_MESSAGE(user.status == 0, user.output);
    CHECK_MESSAGE((user.output != "\n" && user.output.rfind("root", 0) != 0 &&
                   user.output.rfind("0\n", 0) != 0),
                  ref << " runs as '" << user.output << "'");
    const CommandResult compilers = run_command(
        "docker run --rm --entrypoint sh " + ref + " -c 'command -v cc gcc g++ c++ clang'",
        std::chrono::seconds(60));
    CHECK_MESSAGE(compilers.status != 0, ref << " has a compiler: " << compilers.output);
  }

  // ---- up: every service healthy ----
  started = Clock::now();
  const CommandResult up = project.compose("up -d", std::chrono::seconds(300));
  REQUIRE_MESSAGE(up.status == 0, up.output);
  auto not_healthy = project.wait_healthy(kServices, std::chrono::seconds(180));
  REQUIRE_MESSAGE(not_healthy.empty(), "not healthy: " << join(not_healthy));
  std::cout << "compose test: up until every service was healthy took " << seconds_since(started)
            << " s" << std::endl;
  CHECK(http_request("GET", ports.dashboard, "/").status == 200);  // the dashboard's page

  // ---- a press from the host reaches the actuator: REST and WebSocket ----
  const std::string first = press_id("1");
  {
    WsClient ws(ports.dashboard);
    REQUIRE(ws.read_until([](const json& m) { return m.value("type", "") == "snapshot"; }));
    REQUIRE(press(ports.mqtt, "button-1", first));
    const auto delta = ws.read_until(
        [&](const json& m) {
          if (m.value("type", "") != "states") return false;
          for (const auto& item : m["items"]) {
            if (item.value("id", "") == "actuator-1" && item.value("press_id", "") == first)
              return true;
          }
          return false;
        },
        std::chrono::seconds(15));
    CHECK_MESSAGE(delta.has_value(), "no WebSocket delta for actuator-1 with press " << first);
  }
  const auto state = await_state(ports.dashboard, "actuator-1", first, std::chrono::seconds(10));
  REQUIRE_MESSAGE(state.has_value(), "actuator-1 never showed press " << first);
  CHECK((*state)["on"] == true);

  // ---- restarting the state service keeps the state (SQLite on the named volume) ----
  REQUIRE(project.compose("restart state").status == 0);
  not_healthy = project.wait_healthy({"state"}, std::chrono::seconds(120));
  REQUIRE_MESSAGE(not_healthy.empty(), "not healthy: " << join(not_healthy));
  const json events = get_json(ports.dashboard, "/api/events?device=actuator-1");
  REQUIRE(events.is_object());
  bool in_history = false;
  for (const auto& event : events["events"]) {
    in_history =
        in_history || (event.value("kind", "") == "state" && event.value("press_id", "") == first);
  }
  CHECK_MESSAGE(in_history, "the history lost press " << first << ": " << events.dump());
  const json after = get_json(ports.dashboard, "/api/devices/actuator-1");
  CHECK(after.value("press_id", "") == first);
  CHECK(after["on"] == true);

  // ---- logins: anonymous clients press and read states only; passwords in files only ----
  started = Clock::now();
  check_logins(project);
  std::cout << "compose test: the login checks took " << seconds_since(started) << " s"
            << std::endl;

  // ---- one container per device: stop one, start it again, it rejoins ----
  REQUIRE(project.compose("rm -sf agent").status == 0);
  project.set_files({base, devices.path});
  started = Clock::now();
  const CommandResult per_device = project.compose("up -d", std::chrono::seconds(300));
  REQUIRE_MESSAGE(per_device.status == 0, per_device.output);
  std::vector<std::string> containers = {"state", "relayer"};
  for (const auto& device : kDevices) containers.push_back("device-" + device);
  not_healthy = project.wait_healthy(containers, std::chrono::seconds(180));
  REQUIRE_MESSAGE(not_healthy.empty(), "not healthy: " << join(not_healthy));
  std::cout << "compose test: switching to one container per device took " << seconds_since(started)
            << " s" << std::endl;
  CHECK(project.container("agent").empty());

  const std::string second = press_id("2");
  REQUIRE(press(ports.mqtt, "button-2", second));
  CHECK(await_state(ports.dashboard, "actuator-2", second, std::chrono::seconds(10)));

  REQUIRE(project.compose("stop device-actuator-2").status == 0);
  CHECK(project.health("device-actuator-2") == "exited");
  CHECK(eventually([&] { return !service_online(ports.dashboard, "agent-actuator-2"); },
                   std::chrono::seconds(15)));
  const std::string while_away = press_id("3");
  REQUIRE(press(ports.mqtt, "button-2", while_away));

  REQUIRE(project.compose("start device-actuator-2").status == 0);
  not_healthy = project.wait_healthy({"device-actuator-2"}, std::chrono::seconds(120));
  REQUIRE_MESSAGE(not_healthy.empty(), "not healthy: " << join(not_healthy));
  CHECK(eventually([&] { return service_online(ports.dashboard, "agent-actuator-2"); },
                   std::chrono::seconds(15)));
  const std::string back = press_id("4");
  REQUIRE(press(ports.mqtt, "button-2", back));
  CHECK_MESSAGE(await_state(ports.dashboard, "actuator-2", back, std::chrono::seconds(15)),
                "actuator-2 did not apply press " << back << " after it rejoined");

  // ---- a partition: the annex's network loses the broker; a press waits, then arrives ----
  const std::string annex = project.name() + "_site-annex";
  const std::string mosquitto = project.container("mosquitto");
  REQUIRE(!mosquitto.empty());
  const CommandResult cut =
      run_command("docker network disconnect " + shell_quote(annex) + " " + mosquitto,
                  std::chrono::seconds(30));
  REQUIRE_MESSAGE(cut.status == 0, cut.output);
  const std::string partitioned = press_id("6");
  REQUIRE(
      press(ports.mqtt, "button-2", partitioned));  // the host reaches the broker; the annex not
  CHECK_FALSE(await_state(ports.dashboard, "actuator-2", partitioned, std::chrono::seconds(2)));
  const CommandResult heal = run_command(
      "docker network connect " + shell_quote(annex) + " " + mosquitto, std::chrono::seconds(30));
  REQUIRE_MESSAGE(heal.status == 0, heal.output);
  started = Clock::now();
  CHECK_MESSAGE(await_state(ports.dashboard, "actuator-2", partitioned, std::chrono::seconds(90)),
                "actuator-2 never applied press " << partitioned << " after the partition healed");
  std::cout << "compose test: a press made during a partition arrived " << seconds_since(started)
            << " s after it healed" << std::endl;
  // The other devices were not disturbed; button-3's press runs an action on the whisk service.
  const std::string third = press_id("5");
  REQUIRE(press(ports.mqtt, "button-3", third));
  CHECK_MESSAGE(await_state(ports.dashboard, "actuator-3", third, std::chrono::seconds(20)),
                "actuator-3 did not apply press " << third << " (computed by whisk)");
  CHECK(eventually(
      [&] {
        return service_metric(ports.dashboard, "relayer",
                              "snet_openwhisk_invocations_total{outcome=\"ok\"}") >= 1;
      },
      std::chrono::seconds(10)));

  // ---- the whisk service's own key, and require('openwhisk') inside an action ----
  started = Clock::now();
  const CommandResult key = project.compose("exec -T whisk cat /data/whisk/whisk.auth");
  REQUIRE_MESSAGE(key.status == 0, key.output);
  const std::string whisk_key = trimmed(key.output);
  CHECK(std::regex_match(whisk_key, std::regex("[0-9a-f-]{36}:[A-Za-z0-9]{64}")));
  CHECK(whisk_key != openwhisk::kDevAuth);
  TempDir client_dir("snet-compose-client");
  const std::string script = client_dir.path() + "/client.js";
  const std::string key_copy = client_dir.path() + "/whisk.auth";
  std::ofstream(script) << kClientScript;
  std::ofstream(key_copy) << whisk_key << "\n";  // a file: the key is on no command line
  const CommandResult client = run_command(
      "env NODE_PATH=" + shell_quote(source_path("whisk/runtime/node_modules")) +
          " OW_APIHOST=http://127.0.0.1:" + std::to_string(ports.whisk) +
          " OW_KEY_FILE=" + shell_quote(key_copy) +
          " OW_GUEST_KEY=" + shell_quote(openwhisk::kDevAuth) + " node " + shell_quote(script),
      std::chrono::seconds(60));
  INFO("client: ", client.output);
  const json answer = json::parse(trimmed(client.output), nullptr, false);
  REQUIRE_MESSAGE(answer.is_object(), client.output);
  CHECK(answer.value("guest", json()) == 401);
  const json called = answer.value("result", json::object());
  CHECK(called.value("inner", json()) == json::parse(R"({"commands": {"lamp": {"on": true}}})"));
  std::cout << "compose test: an action in whisk (Node.js " << called.value("node", "?")
            << ") called flip_switch through require('openwhisk'); key, deploy and call took "
            << seconds_since(started) << " s" << std::endl;

  // ---- down -v leaves no container, network or volume of the project ----
  const std::string down_problem = project.down();
  REQUIRE_MESSAGE(down_problem.empty(), down_problem);
  CHECK_MESSAGE(project.leftovers().empty(), "left over:\n" << project.leftovers());
}

}  // namespace snet::test
