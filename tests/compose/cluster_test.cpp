// A RabbitMQ cluster of three nodes in containers, label `compose`: docker-compose.yml with
// docker-compose.rabbitmq-cluster.yml over it, topology/mixed.json, every service given every
// node, every quorum queue with a replica on each node. During a stream of presses (mosquitto_pub
// from the host, through a node that stays up), `docker kill` (SIGKILL) takes down the node whose
// channel consumes the relayers' queue: every press sent while it is down is confirmed (a refused
// one is sent again with its id, for 20 s), and every confirmed press is applied exactly once.
// Started again, the node rejoins the cluster.
// Runs on the images compose/stack built.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
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

// The node (its service name) of the channel consuming `queue`, from `rabbitmqctl
// list_consumers queue_name channel_pid` lines: a pid reads <rabbit@NODE.creation.N.0>.
// Empty when nothing consumes it.
std::string consumer_node(const std::string& listing, const std::string& queue) {
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("\t<rabbit@");
    if (at == std::string::npos || line.substr(0, at) != queue) continue;
    const auto name = at + 9;
    return line.substr(name, line.find('.', name) - name);
  }
  return "";
}

json get_json(int port, const std::string& target) {
  const HttpResult result = http_request("GET", port, target);
  if (result.status != 200) return json();
  return json::parse(result.body, nullptr, false);
}

// Each queue of the snet vhost: name, type, members, leader, messages, consumers.
json queues_of(const std::string& container) {
  const CommandResult listing = run_command(
      "docker exec " + container +
          " rabbitmqctl -q list_queues -p snet name type members leader messages consumers "
          "--formatter json",
      120s);
  const json queues = json::parse(listing.output, nullptr, false);
  return queues.is_array() ? queues : json::array();
}

// The relayers' and agents' counters as the state service's /metrics shows them (a failure's
// clue to where presses stopped).
std::string service_metrics(int dashboard) {
  const HttpResult result = http_request("GET", dashboard, "/metrics");
  std::istringstream in(result.body);
  std::string lines;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("snet_relayer_", 0) == 0 || line.rfind("snet_agent_", 0) == 0 ||
        line.rfind("snet_bus_", 0) == 0) {
      lines += line + "\n";
    }
  }
  return lines;
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
  // Every quorum queue has a replica on every node (declared once all three ran), so killing
  // any one node leaves each queue its majority.
  const json queues = queues_of(first_node);
  int quorum_queues = 0;
  for (const auto& queue : queues) {
    if (queue.value("type", "") != "quorum") continue;
    ++quorum_queues;
    CHECK_MESSAGE(queue.value("members", json::array()).size() == 3, queue.dump());
  }
  CHECK_MESSAGE(quorum_queues >= 8, queues.dump());

  const std::string prefix = "cluster-" + std::to_string(::getpid()) + "-";
  const auto press = [&](const std::string& node, const std::string& id) {
    return mosquitto_pub(mqtt_port[node], "snet/mixed/press/amqp-switch", json{{"id", id}}.dump());
  };
  // Sent again while a node's vhost or MQTT listener is still coming up (a loaded machine).
  REQUIRE(eventually([&] { return press("rabbitmq", prefix + "first") == 0; }, 60s));
  REQUIRE(eventually([&] { return fan_press_id(dashboard) == prefix + "first"; }, 60s));

  // The node the relayer takes presses through (its channel consuming the relayers' queue;
  // its container's health checks connect too, to any node); presses go through another one.
  const CommandResult listing = run_command(
      "docker exec " + first_node + " rabbitmqctl -q list_consumers -p snet queue_name channel_pid",
      120s);
  REQUIRE_MESSAGE(listing.status == 0, listing.output);
  const std::string victim = consumer_node(listing.output, "snet-group-snet-mixed-relayers");
  REQUIRE_MESSAGE(!victim.empty(), listing.output);
  const std::string through = victim == "rabbitmq" ? "rabbitmq-2" : "rabbitmq";

  constexpr int kPresses = 300, kKillAt = 50;
  std::vector<bool> confirmed(kPresses, false);
  int resent = 0;
  const auto send = [&](int i, const std::string& node) {
    const std::string id = prefix + std::to_string(i);
    confirmed[i] = press(node, id) == 0;
  };
  // While the dead node's queue leaders move (a few seconds), RabbitMQ 3.10 nacks publishes to
  // them and its MQTT plugin then drops the publisher ({mqtt_unexpected_msg, basic.nack}). A
  // refused press is not confirmed: as a careful source does, it is sent again with its id.
  auto resend_until = std::chrono::steady_clock::now();
  for (int i = 0; i < kPresses; ++i) {
    if (i == kKillAt) {
      const CommandResult killed = run_command("docker kill " + project.container(victim), 60s);
      REQUIRE_MESSAGE(killed.status == 0, killed.output);
      resend_until = std::chrono::steady_clock::now() + 20s;
    }
    send(i, through);
    while (!confirmed[i] && std::chrono::steady_clock::now() < resend_until) {
      ++resent;
      send(i, through);
    }
  }
  const int confirmed_while_down =
      static_cast<int>(std::count(confirmed.begin() + kKillAt, confirmed.end(), true));
  // Each queue kept its majority: nothing waited for the node to come back.
  CHECK(confirmed_while_down == kPresses - kKillAt);

  // Docker counts `docker kill` as a manual stop (no restart policy brings it back): started
  // again, the node rejoins the cluster.
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
  const double rejoin_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - restart_started).count();
  // What was refused goes again, through the node that came back and the other in turn.
  const auto resend_deadline = std::chrono::steady_clock::now() + 120s;
  for (int i = 0; i < kPresses; ++i) {
    while (!confirmed[i] && std::chrono::steady_clock::now() < resend_deadline) {
      send(i, resent++ % 2 == 0 ? victim : through);
    }
  }
  const int confirmed_count =
      static_cast<int>(std::count(confirmed.begin(), confirmed.end(), true));
  CHECK(confirmed_count == kPresses);

  // Every confirmed press applied once (its state stored once), however often it was sent.
  // Waits for all of them, not for the last one sent: the relayer runs presses' computes
  // concurrently, so the backlog its failover leaves may reach the fan in another order.
  std::map<std::string, int> applied;
  int lost = 0, twice = 0;
  const auto count_applied = [&] {
    const json events = get_json(dashboard, "/api/events?device=mqtt-fan&kind=state&limit=1000");
    applied.clear();
    if (events.is_object() && events.contains("events")) {
      for (const auto& e : events["events"]) ++applied[e.value("press_id", "")];
    }
    lost = twice = 0;
    for (int i = 0; i < kPresses; ++i) {
      const int n = applied[prefix + std::to_string(i)];
      if (confirmed[i]) {
        lost += n == 0;
        twice += n > 1;
      }
    }
    return lost == 0;
  };
  CHECK_MESSAGE(eventually(count_applied, 120s),
                lost << " confirmed presses never applied; queues: " << queues_of(witness).dump()
                     << "\nmetrics:\n"
                     << service_metrics(dashboard));
  CHECK(twice == 0);
  std::cout << "cluster test: up and healthy in " << up_s << " s; killed " << victim
            << " (the relayer's node) after " << kKillAt << " presses; " << confirmed_while_down
            << " of the next " << kPresses - kKillAt << " confirmed through " << through
            << " while it was down; it rejoined " << rejoin_s << " s after docker start; "
            << confirmed_count << " of " << kPresses << " confirmed in all (" << resent
            << " sends again after a refusal), " << lost << " of them lost, " << twice
            << " applied twice\n";

  CHECK(project.down().empty());
  CHECK(trimmed(project.leftovers()).empty());
}

}  // namespace snet::test
