// Faults are the normal case: under `snet up`, two relayers share a steady stream of presses
// while parts are killed and devices fail, and afterwards every press id is applied exactly once
// by each of its targets (their history in the state service), and every killed part was
// restarted by the supervisor. Once on Mosquitto, once on RabbitMQ with the node itself killed.
// On a RabbitMQ cluster: a node killed under a press stream, and a node killed under TLS.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "presser.hpp"
#include "snet/net.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

constexpr int kPresses = 2000;
constexpr int kRate = 200;  // presses per second

// Each target's press ids as its history in the state service has them, with their count.
std::map<std::string, int> applied_press_ids(SnetUp& stack, const std::string& actuator) {
  std::map<std::string, int> ids;
  const auto res =
      http_request("GET", stack.http_port(), "/api/events?device=" + actuator + "&limit=1000");
  if (res.status != 200) return ids;
  const json body = json::parse(res.body, nullptr, false);
  if (!body.contains("events")) return ids;
  for (const auto& e : body["events"]) {
    if (e.value("kind", "") != "state") continue;
    const std::string id = e.value("press_id", "");
    if (id.rfind("p-", 0) == 0) ++ids[id];
  }
  return ids;
}

// What each target must have applied: the ids pressed on the buttons that command it.
using Expected = std::map<std::string, std::set<std::string>>;

// Press n of mixed.json's stream: even ones on the MQTT switch, odd ones on the AMQP switch.
void press_mixed(Presser& presser, Expected& expected, int n) {
  const std::string id = "p-" + std::to_string(n);
  if (n % 2 == 0) {
    presser.press("snet/mixed/press/mqtt-switch", id);  // -> amqp-lamp and mqtt-lamp
    expected["amqp-lamp"].insert(id);
    expected["mqtt-lamp"].insert(id);
  } else {
    presser.press("snet/mixed/press/amqp-switch", id);  // -> mqtt-fan
    expected["mqtt-fan"].insert(id);
  }
}

void check_exactly_once(SnetUp& stack, const Expected& expected) {
  bool complete = eventually(
      [&] {
        for (const auto& [actuator, ids] : expected) {
          if (applied_press_ids(stack, actuator).size() < ids.size()) return false;
        }
        return true;
      },
      90s);
  for (const auto& [actuator, ids] : expected) {
    const auto applied = applied_press_ids(stack, actuator);
    int missing = 0, twice = 0, strangers = 0;
    for (const auto& id : ids) {
      const auto it = applied.find(id);
      if (it == applied.end()) {
        ++missing;
      } else if (it->second > 1) {
        ++twice;
      }
    }
    for (const auto& [id, count] : applied) strangers += ids.count(id) == 0 ? 1 : 0;
    MESSAGE(actuator, ": ", ids.size(), " expected, ", applied.size(), " applied, ", missing,
            " missing, ", twice, " applied twice");
    CHECK_MESSAGE(missing == 0, actuator, " lost ", missing, " presses");
    CHECK_MESSAGE(twice == 0, actuator, " applied ", twice, " presses twice");
    CHECK(strangers == 0);
  }
  if (!complete) MESSAGE("snet up's output:\n", stack.output());
}

}  // namespace

TEST_CASE(
    "Mosquitto: 2 relayers, kill -9 of a relayer and of the state service, an actuator "
    "offline and another crashed: every press applied exactly once") {
  SnetUp stack({"tests/topology/single-builtin.json", "single", {"--relayers", "2"}, 90s});
  Presser presser(stack.mqtt_url(), "fault-test-presser");
  REQUIRE(presser.wait_connected(10s));

  Expected expected;
  const pid_t relayer = stack.pid_of("relayer-1");
  const pid_t state = stack.pid_of("state");
  REQUIRE(relayer > 0);
  REQUIRE(state > 0);
  pace(kPresses, kRate, [&](int n) {
    const int button = n % 3 + 1;
    const std::string id = "p-" + std::to_string(n);
    presser.press("snet/single/press/button-" + std::to_string(button), id);
    expected["actuator-" + std::to_string(button)].insert(id);
    if (n == 400) ::kill(relayer, SIGKILL);
    if (n == 800) ::kill(state, SIGKILL);
    if (n == 1000) {
      // Through the control API, as `snet ctl device actuator-2 offline --for 2s` does; the
      // state service was just killed, so it may still be coming back.
      CHECK(eventually(
          [&] {
            return http_request("POST", stack.http_port(),
                                "/api/devices/actuator-2/offline?duration_ms=2000")
                       .status == 202;
          },
          10s));
    }
    if (n == 1200) presser.control("single", "crash", "actuator-3", 1000);
  });
  REQUIRE_MESSAGE(presser.wait_acked(kPresses, 60s), presser.acked(), " of ", kPresses,
                  " presses acknowledged by the broker");
  check_exactly_once(stack, expected);
  CHECK(eventually([&] { return stack.restarts_of("relayer-1") >= 1; }, 10s));
  CHECK(eventually([&] { return stack.restarts_of("state") >= 1; }, 10s));
  CHECK(stack.pid_of("relayer-1") != relayer);
  CHECK(stack.pid_of("state") != state);
}

TEST_CASE(
    "RabbitMQ: 2 relayers and kill -9 of the RabbitMQ node under a press stream: every "
    "confirmed press applied exactly once") {
  SnetUp stack({"topology/mixed.json", "mixed", {"--relayers", "2"}, 120s});
  Presser presser(stack.amqp_url(), "fault-test-presser");
  REQUIRE(presser.wait_connected(10s));

  Expected expected;
  const pid_t broker = stack.pid_of("broker");
  REQUIRE(broker > 0);
  pace(kPresses, kRate, [&](int n) {
    press_mixed(presser, expected, n);
    if (n == 600) ::kill(broker, SIGKILL);
  });
  REQUIRE_MESSAGE(presser.wait_acked(kPresses, 120s), presser.acked(), " of ", kPresses,
                  " presses confirmed by the broker");
  check_exactly_once(stack, expected);
  CHECK(eventually([&] { return stack.restarts_of("broker") >= 1; }, 10s));
}

namespace {

// Which node of the broker URL's list `service`'s bus is on, as its status reports it through
// the state service's /metrics (snet_bus_broker_node); -1 until it has reported.
int broker_node_of(SnetUp& stack, const std::string& service) {
  const auto res = http_request("GET", stack.http_port(), "/metrics");
  if (res.status != 200) return -1;
  const std::string key = "snet_bus_broker_node{service=\"" + service + "\"} ";
  const auto at = res.body.find(key);
  return at == std::string::npos ? -1 : std::stoi(res.body.substr(at + key.size()));
}

}  // namespace

TEST_CASE(
    "RabbitMQ cluster of 3: kill -9 of the node a relayer is connected to under a press stream: "
    "relayer and devices move to another node and every confirmed press is applied exactly "
    "once") {
  SnetUp stack({"topology/mixed.json",
                "mixed",
                {"--relayers", "2", "--rabbitmq-nodes", "3", "--links", "off"},
                180s});
  Presser presser(stack.amqp_url(), "fault-test-presser");  // given every node
  REQUIRE(presser.wait_connected(10s));
  int node = -1;
  REQUIRE(eventually([&] { return (node = broker_node_of(stack, "relayer-1")) >= 0; }, 20s));
  const std::string victim = "rabbitmq-" + std::to_string(node + 1);
  const pid_t broker = stack.pid_of(victim);
  REQUIRE(broker > 0);

  Expected expected;
  pace(kPresses, kRate, [&](int n) {
    press_mixed(presser, expected, n);
    if (n == 600) ::kill(broker, SIGKILL);
  });
  REQUIRE_MESSAGE(presser.wait_acked(kPresses, 120s), presser.acked(), " of ", kPresses,
                  " presses confirmed by the broker");
  MESSAGE(presser.refusals(), " presses refused by the broker (nack) and published again");
  check_exactly_once(stack, expected);
  // The relayer moved at once; the supervisor restarted the node, which rejoined the cluster.
  CHECK(eventually([&] { return broker_node_of(stack, "relayer-1") != node; }, 10s));
  CHECK(eventually([&] { return stack.restarts_of(victim) >= 1; }, 10s));
}

namespace {

// The press id the actuator `device` shows in the state service, "" until it has one.
std::string press_id_of(const SnetUp& up, const std::string& device) {
  const auto res = http_request("GET", up.http_port(), "/api/devices/" + device);
  if (res.status != 200) return "";
  const auto body = nlohmann::json::parse(res.body, nullptr, false);
  return body.is_object() ? body.value("press_id", "") : "";
}

// The ports of a URL's hosts: mqtts://h:p1,h:p2 -> {p1, p2}.
std::vector<int> ports_of(const std::string& url) {
  std::vector<int> ports;
  for (const auto& endpoint : parse_url(url, 0).endpoints) ports.push_back(endpoint.port);
  return ports;
}

}  // namespace

TEST_CASE(
    "snet up --rabbitmq-nodes 3 --tls: services and devices get every node's TLS listeners and "
    "move to another when one is killed") {
  const int mqtts_port = free_port(), amqps_port = free_port();
  SnetUp::Options options;
  options.topology = "topology/mixed.json";
  options.topology_name = "mixed";
  options.extra_args = {"--rabbitmq-nodes",
                        "3",
                        "--links",
                        "off",
                        "--tls",
                        "--mqtts-port",
                        std::to_string(mqtts_port),
                        "--amqps-port",
                        std::to_string(amqps_port)};
  options.ready_timeout = 180s;
  SnetUp up(options);
  const std::string ca = up.data_dir() + "/tls/ca.crt";
  const std::string output = up.output();
  CAPTURE(output);
  // "TLS: the services and devices use amqps://...,...,... and mqtts://...,...,..."
  const auto mqtts_at = output.find("mqtts://127.0.0.1:" + std::to_string(mqtts_port) + ",");
  REQUIRE(mqtts_at != std::string::npos);
  const std::vector<int> mqtts_ports =
      ports_of(output.substr(mqtts_at, output.find_first_of(" ;\n", mqtts_at) - mqtts_at));
  REQUIRE(mqtts_ports.size() == 3);
  CHECK(output.find("amqps://snet.up@127.0.0.1:" + std::to_string(amqps_port) + ",") !=
        std::string::npos);

  // An MQTT press through the first node's TLS listener reaches the MQTT fan by way of the AMQP
  // switch (mixed.json: both protocols on the cluster).
  const std::string press = "snet/mixed/press/amqp-switch";
  const auto pressed = mosquitto_pub_tls(mqtts_port, ca, press, R"({"id":"tls-cluster-1"})");
  CAPTURE(pressed.second);
  REQUIRE(pressed.first == 0);
  REQUIRE(eventually([&] { return press_id_of(up, "mqtt-fan") == "tls-cluster-1"; }, 30s));

  // The first node dies: what was on it moves to another node, over TLS again.
  const pid_t first = up.pid_of("rabbitmq-1");
  REQUIRE(first > 0);
  REQUIRE(::kill(first, SIGKILL) == 0);
  // Retried while the cluster notices; one press id, applied once however often sent.
  // Nodes 2 and 3 in turn: one may drop MQTT clients for a while as its peer dies.
  std::pair<int, std::string> last;
  int attempts = 0;
  const auto killed = std::chrono::steady_clock::now();
  const bool taken = eventually(
      [&] {
        const int port = mqtts_ports[1 + attempts++ % 2];
        last = mosquitto_pub_tls(port, ca, press, R"({"id":"tls-cluster-2"})");
        return last.first == 0;
      },
      120s);
  REQUIRE_MESSAGE(taken, "mosquitto_pub: " << last.second << "\nsnet up: " << up.output());
  MESSAGE("another node took a press "
          << std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count()
          << " s after node 1 was killed");
  CHECK(eventually([&] { return press_id_of(up, "mqtt-fan") == "tls-cluster-2"; }, 60s));
}

TEST_CASE(
    "snet up --rabbitmq-nodes 3 with the process link engine: relayed devices move to another "
    "node when theirs is killed") {
  SnetUp up({"tests/topology/cluster-sites.json", "csites", {"--rabbitmq-nodes", "3"}, 180s});
  CAPTURE(up.output());
  Presser presser(up.amqp_url(), "fault-test-presser");  // given every node
  REQUIRE(presser.wait_connected(10s));
  presser.press("snet/csites/press/switch", "csites-1");
  REQUIRE(eventually(
      [&] {
        return press_id_of(up, "amqp-lamp") == "csites-1" &&
               press_id_of(up, "mqtt-lamp") == "csites-1";
      },
      30s));

  // Each relay path starts at the first node, so every device is on it, behind the relay. It
  // dies and stays down (its restart cancelled): what reaches a lamp went through another node.
  const pid_t first = up.pid_of("rabbitmq-1");
  REQUIRE(first > 0);
  REQUIRE(::kill(first, SIGKILL) == 0);
  const auto killed = std::chrono::steady_clock::now();
  CHECK(http_request("POST", up.control_port(), "/services/rabbitmq-1/stop").status == 200);
  presser.press("snet/csites/press/switch", "csites-2");
  REQUIRE_MESSAGE(eventually([&] { return press_id_of(up, "amqp-lamp") == "csites-2"; }, 60s),
                  "snet up: ", up.output());
  const auto seconds_since_kill = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  };
  MESSAGE("the relayed AMQP lamp applied a press " << seconds_since_kill()
                                                   << " s after node 1 was killed");
  // The MQTT lamp too, through another node's MQTT plugin while node 1 is still down.
  CHECK(eventually([&] { return press_id_of(up, "mqtt-lamp") == "csites-2"; }, 60s));
  MESSAGE("the relayed MQTT lamp applied it " << seconds_since_kill() << " s after the kill");
  CHECK(up.pid_of("rabbitmq-1") <= 0);  // it was down all along
}
