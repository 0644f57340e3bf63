// A RabbitMQ cluster of three nodes in containers, label `compose`: docker-compose.yml with
// docker-compose.rabbitmq-cluster.yml over it, topology/mixed.json, every service given every
// node. During a stream of presses (mosquitto_pub from the host, through a node that stays up),
// `docker kill` (SIGKILL) takes down the node the relayer is connected to: every press a node
// confirmed is applied exactly once. Started again, the node rejoins and takes presses. Runs on
// the images compose/stack built.
#include <doctest/doctest.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "compose_project.hpp"
#include "harness.hpp"
#include "snet/net.hpp"

namespace snet::test {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kClusterUrl =
    "amqp://snet:snet@rabbitmq:5672,rabbitmq-2:5672,rabbitmq-3:5672/snet?queue-type=quorum";
const std::vector<std::string> kNodes = {"rabbitmq", "rabbitmq-2", "rabbitmq-3"};

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string address_of(const std::string& container) {
  return trimmed(run_command("docker inspect -f "
                             "'{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' " +
                                 container,
                             30s)
                     .output);
}

// The node (its service name) of each connection from `address`, from `rabbitmqctl
// list_connections pid peer_host` lines: a pid reads <rabbit@NODE.creation.N.0>.
std::set<std::string> nodes_serving(const std::string& listing, const std::string& address) {
  std::set<std::string> nodes;
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line);) {
    const auto tab = line.find('\t');
    const auto at = line.find("<rabbit@");
    if (tab == std::string::npos || at == std::string::npos || line.substr(tab + 1) != address) {
      continue;
    }
    const auto name = at + 8;
    nodes.insert(line.substr(name, line.find('.', name) - name));
  }
  return nodes;
}

json get_json(int port, const std::string& target) {
  const HttpResult result = http_request("GET", port, target);
  if (result.status != 200) return json();
  return json::parse(result.body, nullptr, false);
}

std::string fan_press_id(int dashboard) {
  const json device = get_json(dashboard, "/api/devices/mqtt-fan");
  return device.is_object() ? device.value("press_id", "") : "";
}

}  // namespace

TEST_CASE(
    "compose cluster: three RabbitMQ nodes - kill -9 of the relayer's node during presses loses "
    "no confirmed press - started again it rejoins") {
  const std::string base = source_path("docker-compose.yml");
  for (const auto& stale : remove_stale_projects("snet-compose-cluster-", base)) {
    std::cout << "cluster test: took down " << stale << ", left by an interrupted run\n";
  }
  ComposeProject project("snet-compose-cluster-" + std::to_string(::getpid()),
                         {base, source_path("docker-compose.rabbitmq-cluster.yml")});
  std::map<std::string, int> mqtt_port = {{"rabbitmq", project.ports().rabbitmq_mqtt},
                                          {"rabbitmq-2", free_port()},
                                          {"rabbitmq-3", free_port()}};
  project.set_variable("SNET_TOPOLOGY", "topology/mixed.json");
  project.set_variable("SNET_BROKER_URL", kClusterUrl);
  project.set_variable("SNET_BROKER_PASSWORD_FILE", "");
  project.set_variable("SNET_DEVICE_CREDENTIALS_FILE", "");
  project.set_variable("SNET_RABBITMQ_2_MQTT_PORT", std::to_string(mqtt_port["rabbitmq-2"]));
  project.set_variable("SNET_RABBITMQ_3_MQTT_PORT", std::to_string(mqtt_port["rabbitmq-3"]));
  LogsOnFailure logs_on_failure{project};
  const int dashboard = project.ports().dashboard;

  const auto started = std::chrono::steady_clock::now();
  const CommandResult up = project.compose("up -d", 600s);
  REQUIRE_MESSAGE(up.status == 0, up.output);
  std::vector<std::string> services = kNodes;
  for (const std::string s : {"mosquitto", "whisk", "state", "relayer", "agent"}) {
    services.push_back(s);
  }
  const auto not_healthy = project.wait_healthy(services, 300s);
  REQUIRE_MESSAGE(not_healthy.empty(), "not healthy: " << not_healthy.front());
  const double up_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // One cluster: the first node sees all three running.
  const std::string first_node = project.container("rabbitmq");
  const CommandResult status = run_command(
      "docker exec " + first_node + " rabbitmqctl -q cluster_status --formatter json", 120s);
  REQUIRE_MESSAGE(status.status == 0, status.output);
  const json cluster = json::parse(status.output, nullptr, false);
  REQUIRE_MESSAGE(cluster.is_object(), status.output);
  CHECK_MESSAGE(cluster["running_nodes"].size() == 3, status.output);

  const std::string prefix = "cluster-" + std::to_string(::getpid()) + "-";
  const auto press = [&](const std::string& node, const std::string& id) {
    return mosquitto_pub(mqtt_port[node], "snet/mixed/press/amqp-switch", json{{"id", id}}.dump());
  };
  REQUIRE(press("rabbitmq", prefix + "first") == 0);
  REQUIRE(eventually([&] { return fan_press_id(dashboard) == prefix + "first"; }, 60s));

  // A node the relayer is connected to; presses go through another one.
  const std::string relayer = address_of(project.container("relayer"));
  const CommandResult listing = run_command(
      "docker exec " + first_node + " rabbitmqctl -q list_connections pid peer_host", 120s);
  REQUIRE_MESSAGE(listing.status == 0, listing.output);
  const std::set<std::string> relayer_nodes = nodes_serving(listing.output, relayer);
  // Its connections (one per channel role) may be on more than one node: any of them.
  REQUIRE_MESSAGE(!relayer_nodes.empty(), listing.output << "relayer at " << relayer);
  const std::string victim = *relayer_nodes.begin();
  const std::string through = victim == "rabbitmq" ? "rabbitmq-2" : "rabbitmq";

  constexpr int kPresses = 300, kKillAt = 50;
  std::vector<bool> confirmed(kPresses, false);
  for (int i = 0; i < kPresses; ++i) {
    if (i == kKillAt) {
      const CommandResult killed = run_command("docker kill " + project.container(victim), 60s);
      REQUIRE_MESSAGE(killed.status == 0, killed.output);
    }
    confirmed[i] = press(through, prefix + std::to_string(i)) == 0;
  }
  int last_confirmed = -1, confirmed_count = 0;
  for (int i = 0; i < kPresses; ++i) {
    if (confirmed[i]) last_confirmed = i, ++confirmed_count;
  }
  // The stream went on after the kill: most presses were taken.
  CHECK(confirmed_count >= kPresses / 2);
  REQUIRE(last_confirmed >= kKillAt);
  REQUIRE_MESSAGE(
      eventually([&] { return fan_press_id(dashboard) == prefix + std::to_string(last_confirmed); },
                 120s),
      "the fan never showed press " << last_confirmed);

  // Every confirmed press applied once (its state stored once); unconfirmed ones are counted.
  const json events = get_json(dashboard, "/api/events?device=mqtt-fan&kind=state&limit=1000");
  REQUIRE(events.contains("events"));
  std::map<std::string, int> applied;
  for (const auto& e : events["events"]) ++applied[e.value("press_id", "")];
  int lost = 0, twice = 0, unconfirmed_applied = 0;
  for (int i = 0; i < kPresses; ++i) {
    const int n = applied[prefix + std::to_string(i)];
    if (confirmed[i]) {
      lost += n == 0;
      twice += n > 1;
    } else {
      unconfirmed_applied += n > 0;
    }
  }
  CHECK(lost == 0);
  CHECK(twice == 0);
  std::cout << "cluster test: up and healthy in " << up_s << " s; killed " << victim
            << " (the relayer's node); " << confirmed_count << " of " << kPresses
            << " presses confirmed through " << through << ", " << lost << " of them lost, "
            << twice << " applied twice; " << kPresses - confirmed_count
            << " unconfirmed (the publisher saw the connection drop), " << unconfirmed_applied
            << " of which were applied all the same\n";

  // Docker counts `docker kill` as a manual stop (no restart policy brings it back): started
  // again, the node rejoins the cluster and takes presses once more.
  const CommandResult restarted = run_command("docker start " + project.container(victim), 60s);
  REQUIRE_MESSAGE(restarted.status == 0, restarted.output);
  const auto restart_started = std::chrono::steady_clock::now();
  REQUIRE(project.wait_healthy({victim}, 180s).empty());
  const std::string witness = project.container(through);
  const auto running_nodes = [&] {
    const CommandResult now = run_command(
        "docker exec " + witness + " rabbitmqctl -q cluster_status --formatter json", 60s);
    const json parsed = json::parse(now.output, nullptr, false);
    return parsed.is_object() ? parsed.value("running_nodes", json::array()).size() : 0;
  };
  REQUIRE_MESSAGE(eventually([&] { return running_nodes() == 3; }, 120s),
                  "the cluster did not see " << victim << " running again");
  const std::string after = prefix + "after-rejoin";
  // Retried until its MQTT listener takes it: one press id, applied once however often sent.
  REQUIRE(eventually([&] { return press(victim, after) == 0; }, 60s));
  REQUIRE(eventually([&] { return fan_press_id(dashboard) == after; }, 60s));
  const double rejoin_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - restart_started).count();
  std::cout << "cluster test: " << victim << " started again, rejoined and applied a press in "
            << rejoin_s << " s\n";

  CHECK(project.down().empty());
  CHECK(trimmed(project.leftovers()).empty());
}

}  // namespace snet::test
