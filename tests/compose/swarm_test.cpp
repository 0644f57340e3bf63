// docker-stack.yml (`snet stack`, cli/stack_file.hpp) with the Docker clients, label `compose`:
//   stack schema  each docker CLI found accepts the file (it validates before it needs a daemon)
//   stack sync    the file has the services of docker-compose.yml, minus the one-shot credentials
//   swarm         a single-node swarm runs it from the images compose/stack built: a press with
//                 the operator's login, the state by REST, agents scaled 1 -> 3 (each shard
//                 online), `docker stack rm` leaves nothing (see compose_main.cpp for skips);
//                 with docker-stack.rabbitmq-cluster.yml over it, three RabbitMQ nodes form one
//                 cluster, every quorum queue gets a member on each, and a press goes through
#include <doctest/doctest.h>
#include <unistd.h>

#include <exception>
#include <filesystem>
#include <iostream>
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

std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

json get_json(int port, const std::string& target) {
  const HttpResult result = http_request("GET", port, target);
  return result.status == 200 ? json::parse(result.body, nullptr, false) : json();
}

// What the state service's /api/health says of `service`: online, and its metric `metric`.
struct Seen {
  bool online = false;
  double metric = -1;
};
Seen seen(int port, const std::string& service, const std::string& metric) {
  const json health = get_json(port, "/api/health");
  if (!health.is_object() || !health.contains("services") ||
      !health["services"].contains(service)) {
    return {};
  }
  const json& s = health["services"][service];
  const json metrics = s.value("metrics", json::object());
  return {s.value("online", false), metrics.contains(metric) && metrics[metric].is_number()
                                        ? metrics[metric].get<double>()
                                        : -1};
}

// A stack deployed on a swarm, on free ports, with secrets in a folder of its own. The
// destructor removes it, waits until no container or network of it is left, removes its
// volumes, and leaves the swarm when this object made it.
class SwarmStack {
 public:
  explicit SwarmStack(std::string name) : name_(std::move(name)) {
    for (int* port : {&mqtt, &dashboard, &whisk, &amqp, &rabbitmq_mqtt}) *port = snet::free_port();
  }
  ~SwarmStack() {
    if (deployed_) {
      const std::string left = remove();
      if (!left.empty()) std::cerr << "swarm test: left over:\n" << left << "\n";
    }
    if (created_swarm_) run_command("docker swarm leave --force", 60s);
  }
  SwarmStack(const SwarmStack&) = delete;
  SwarmStack& operator=(const SwarmStack&) = delete;

  // `snet stack --credentials` into secrets: the logins, the API token and the Erlang cookie.
  CommandResult make_secrets() const {
    return run_command(
        shell_quote(built_program("snet")) + " stack --credentials " + shell_quote(secrets.path()),
        60s);
  }
  // Joins the swarm this engine is in, or makes one of this machine alone.
  CommandResult join() {
    const std::string state =
        trimmed(run_command("docker info -f '{{.Swarm.LocalNodeState}}'", 30s).output);
    if (state == "active") return {0, "already in a swarm"};
    CommandResult init = run_command(
        "docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377", 60s);
    created_swarm_ = init.status == 0;
    return init;
  }
  /// Deploys docker-stack.yml, with `more_files` over it and `more_env` (NAME=value ...).
  CommandResult deploy(int agents, const std::vector<std::string>& more_files = {},
                       const std::string& more_env = "") {
    deployed_ = true;
    std::string files = " -c " + shell_quote(source_path("docker-stack.yml"));
    for (const auto& file : more_files) files += " -c " + shell_quote(source_path(file));
    return run_command(env(agents) + " " + more_env + " docker stack deploy --resolve-image never" +
                           files + " " + name_,
                       120s);
  }
  /// Whether the state service sees `service` online, hosting `devices` devices (any when < 0).
  bool online(const std::string& service, double devices = -1) const {
    const Seen s = seen(dashboard, service, "snet_agent_devices");
    return s.online && (devices < 0 || s.metric == devices);
  }
  /// The id of a running container of `service` ("" when none runs).
  std::string container_of(const std::string& service) const {
    const std::string ids =
        run_command(
            "docker ps -q --filter label=com.docker.swarm.service.name=" + name_ + "_" + service,
            30s)
            .output;
    return ids.substr(0, ids.find('\n'));
  }
  // `docker stack rm`, then waits (bounded) until nothing labelled with the stack is left;
  // returns what is left (empty: nothing).
  std::string remove() {
    deployed_ = false;
    run_command("docker stack rm " + name_, 60s);
    std::string left;
    eventually([&] { return (left = labelled("docker ps -aq", "docker network ls -q")).empty(); },
               90s);
    run_command("docker volume rm $(docker volume ls -q --filter label=" + label() + ")", 60s);
    return labelled("docker ps -aq", "docker network ls -q", "docker volume ls -q",
                    "docker secret ls -q", "docker config ls -q") +
           left;
  }
  std::string logs(const std::string& service) const {
    return run_command("docker service logs --raw --tail 30 " + name_ + "_" + service, 30s).output;
  }

  const std::string& name() const { return name_; }
  TempDir secrets{"snet-swarm"};
  int mqtt = 0, dashboard = 0, whisk = 0, amqp = 0, rabbitmq_mqtt = 0;

 private:
  std::string label() const { return "com.docker.stack.namespace=" + name_; }
  template <typename... Commands>
  std::string labelled(const Commands&... commands) const {
    std::string out;
    for (const std::string command : {commands...}) {
      out += run_command(command + " --filter label=" + label(), 30s).output;
    }
    return out;
  }
  std::string env(int agents) const {
    // Not the caller's SNET_DEVICE_CREDENTIALS_FILE (the cluster's deploy empties it).
    return "env -u SNET_DEVICE_CREDENTIALS_FILE SNET_IMAGE_TAG=" + shell_quote(image_tag()) +
           " SNET_STACK_SECRETS=" + shell_quote(secrets.path()) +
           " SNET_AGENTS=" + std::to_string(agents) + " SNET_RELAYERS=1 SNET_LOG_LEVEL=info" +
           " SNET_MQTT_PORT=" + std::to_string(mqtt) +
           " SNET_DASHBOARD_PORT=" + std::to_string(dashboard) +
           " SNET_WHISK_PORT=" + std::to_string(whisk) + " SNET_AMQP_PORT=" + std::to_string(amqp) +
           " SNET_RABBITMQ_MQTT_PORT=" + std::to_string(rabbitmq_mqtt);
  }

  std::string name_;
  bool created_swarm_ = false, deployed_ = false;
};

// Prints the end of these services' logs when a REQUIRE ends the test (an exception unwinds).
struct StackLogsOnFailure {
  const SwarmStack& stack;
  std::vector<std::string> services;
  ~StackLogsOnFailure() {
    if (std::uncaught_exceptions() == 0) return;
    for (const auto& service : services) {
      std::cout << "---- " << service << " ----\n" << stack.logs(service);
    }
  }
};

// Seconds since it was made.
struct Stopwatch {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  double operator()() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
};

// A press published by the operator's tool with the operator's login (snet.up), as a user of
// the stack would: `snet press --direct`, its password by file.
CommandResult press_as_operator(const SwarmStack& stack, const std::string& button,
                                const std::string& id) {
  return run_command(
      "env SNET_BROKER_PASSWORD_FILE=" +
          shell_quote(stack.secrets.path() + "/credentials/snet.up.password") + " " +
          shell_quote(built_program("snet")) + " press " + button + " --direct --topology " +
          shell_quote(source_path("topology/single.json")) + " --data-dir " +
          shell_quote(stack.secrets.path() + "/no-run") +
          " --broker-url mqtt://snet.up@127.0.0.1:" + std::to_string(stack.mqtt) + " --id " + id,
      30s);
}

bool applied(int dashboard, const std::string& actuator, const std::string& id,
             std::chrono::seconds limit) {
  return eventually(
      [&] { return get_json(dashboard, "/api/devices/" + actuator).value("press_id", "") == id; },
      limit);
}

}  // namespace

TEST_CASE("stack schema: each docker CLI accepts docker-stack.yml without a daemon") {
  int clients = 0;
  for (const std::string docker : {"/usr/bin/docker", "/usr/local/bin/docker"}) {
    if (::access(docker.c_str(), X_OK) != 0) continue;
    ++clients;
    // It validates the files against its compose schema before it contacts the daemon.
    for (const std::string files :
         {"-c docker-stack.yml", "-c docker-stack.yml -c docker-stack.rabbitmq-cluster.yml"}) {
      const CommandResult result = run_command(
          "cd " + shell_quote(source_path("")) + " && DOCKER_HOST=unix:///nonexistent " + docker +
              " stack deploy --resolve-image never " + files + " snet-schema",
          60s);
      INFO(docker, " ", files, ": ", result.output);
      CHECK(result.output.find("Cannot connect to the Docker daemon") != std::string::npos);
      CHECK(result.output.find("unsupported") == std::string::npos);
      CHECK(result.output.find("Additional property") == std::string::npos);
      CHECK(result.output.find("yaml:") == std::string::npos);
    }
  }
  REQUIRE(clients > 0);  // compose_main.cpp skips when there is none
}

TEST_CASE("stack sync: docker-stack.yml has the services of docker-compose.yml") {
  const auto services = [](const std::string& file) {
    const CommandResult result =
        run_command("env -u COMPOSE_FILE docker-compose -f " + shell_quote(source_path(file)) +
                        " config --services 2>/dev/null",
                    60s);
    INFO(file, ": ", result.output);
    CHECK(result.status == 0);
    return lines_of(result.output);
  };
  std::set<std::string> compose = services("docker-compose.yml");
  const std::set<std::string> stack = services("docker-stack.yml");
  CHECK(compose.erase("credentials") == 1);  // one-shot: `snet stack --credentials` instead
  CHECK(compose.size() >= 6);
  CHECK(compose == stack);
}

TEST_CASE("swarm: deploy docker-stack.yml and press and scale agents 1 to 3 and remove") {
  SwarmStack stack("snet-swarm-" + std::to_string(::getpid()));
  const CommandResult made = stack.make_secrets();
  REQUIRE_MESSAGE(made.status == 0, made.output);
  const CommandResult joined = stack.join();
  REQUIRE_MESSAGE(joined.status == 0, joined.output);

  const Stopwatch since;
  const StackLogsOnFailure logs_on_failure{stack, {"mosquitto", "state", "relayer", "agent"}};

  const CommandResult deployed = stack.deploy(1);
  REQUIRE_MESSAGE(deployed.status == 0, deployed.output);
  const bool up =
      eventually([&] { return stack.online("agent-1", 6) && stack.online("relayer-1"); }, 180s);
  REQUIRE_MESSAGE(up, "agent-1 (6 devices) and relayer-1 not online after 180 s");
  std::cout << "swarm test: deployed and online after " << since() << " s" << std::endl;

  // Anonymous clients are refused (host-mode ports listen on every address); snet.up presses.
  CHECK(mosquitto_pub(stack.mqtt, "snet/single/press/button-1", R"({"id":"anonymous"})") != 0);
  const std::string first = "swarm-" + std::to_string(::getpid()) + "-1";
  const CommandResult pressed = press_as_operator(stack, "button-1", first);
  REQUIRE_MESSAGE(pressed.status == 0, pressed.output);
  CHECK_MESSAGE(applied(stack.dashboard, "actuator-1", first, 30s),
                "actuator-1 never showed press " << first);

  // Three agents: task K hosts shard K-1 (2 of the 6 devices each), every shard online.
  const CommandResult scaled = stack.deploy(3);
  REQUIRE_MESSAGE(scaled.status == 0, scaled.output);
  const bool three = eventually(
      [&] {
        return stack.online("agent-1", 2) && stack.online("agent-2", 2) &&
               stack.online("agent-3", 2);
      },
      120s);
  CHECK_MESSAGE(three, "agent-1..3 not each online with 2 devices after scaling");
  std::cout << "swarm test: three agents online after " << since() << " s" << std::endl;
  for (const std::string pair : {"1", "2", "3"}) {
    const std::string id = "swarm-" + std::to_string(::getpid()) + "-scaled-" + pair;
    const CommandResult again = press_as_operator(stack, "button-" + pair, id);
    CHECK_MESSAGE(again.status == 0, again.output);
    CHECK_MESSAGE(applied(stack.dashboard, "actuator-" + pair, id, 30s),
                  "actuator-" << pair << " never showed press " << id);
  }

  const std::string left = stack.remove();
  CHECK_MESSAGE(left.empty(), "left over:\n" << left);
  std::cout << "swarm test: removed after " << since() << " s" << std::endl;
}

TEST_CASE(
    "swarm: docker-stack.rabbitmq-cluster.yml - three RabbitMQ nodes form one cluster - every "
    "quorum queue has a member on each - a press reaches its actuator") {
  SwarmStack stack("snet-swarm-cluster-" + std::to_string(::getpid()));
  const CommandResult made = stack.make_secrets();
  REQUIRE_MESSAGE(made.status == 0, made.output);
  REQUIRE(std::filesystem::exists(stack.secrets.path() + "/rabbitmq/erlang.cookie"));
  const CommandResult joined = stack.join();
  REQUIRE_MESSAGE(joined.status == 0, joined.output);
  const Stopwatch since;
  const StackLogsOnFailure logs_on_failure{
      stack, {"rabbitmq", "rabbitmq-2", "rabbitmq-3", "relayer", "agent"}};

  const std::string ports = "SNET_RABBITMQ_2_MQTT_PORT=" + std::to_string(free_port()) +
                            " SNET_RABBITMQ_3_MQTT_PORT=" + std::to_string(free_port());
  const CommandResult deployed = stack.deploy(1, {"docker-stack.rabbitmq-cluster.yml"},
                                              "SNET_DEVICE_CREDENTIALS_FILE= " + ports);
  REQUIRE_MESSAGE(deployed.status == 0, deployed.output);
  const bool up =
      eventually([&] { return stack.online("agent-1", 6) && stack.online("relayer-1"); }, 300s);
  REQUIRE_MESSAGE(up, "agent-1 (6 devices) and relayer-1 not online after 300 s");
  std::cout << "swarm cluster test: deployed and online after " << since() << " s" << std::endl;

  // A press through the first node's MQTT plugin reaches the MQTT fan (AMQP button, relayer and
  // compute on the cluster). Sent again while the node's MQTT listener is still coming up.
  const std::string id = "swarm-cluster-" + std::to_string(::getpid());
  REQUIRE(eventually(
      [&] {
        return mosquitto_pub(stack.rabbitmq_mqtt, "snet/mixed/press/amqp-switch",
                             json{{"id", id}}.dump()) == 0;
      },
      60s));
  REQUIRE_MESSAGE(applied(stack.dashboard, "mqtt-fan", id, 60s),
                  "mqtt-fan never showed press " << id);

  // One cluster of three, and each node holds a replica of every quorum queue: the nodes that
  // joined after the services declared their queues added themselves (rabbitmq-queues grow).
  const std::string first = stack.container_of("rabbitmq");
  REQUIRE(!first.empty());
  const auto rabbitmqctl = [&](const std::string& args) {
    return run_command("docker exec " + first + " rabbitmqctl -q " + args, 120s).output;
  };
  json cluster;
  const auto three_running = [&] {
    cluster = json::parse(rabbitmqctl("cluster_status --formatter json"), nullptr, false);
    return cluster.is_object() && cluster.value("running_nodes", json::array()).size() == 3;
  };
  REQUIRE_MESSAGE(eventually(three_running, 120s), "cluster: " << cluster.dump());
  json queues;
  const auto replicated = [&] {
    queues = json::parse(rabbitmqctl("list_queues -p snet name type members --formatter json"),
                         nullptr, false);
    if (!queues.is_array()) return false;
    int quorum_queues = 0;
    for (const auto& queue : queues) {
      if (queue.value("type", "") != "quorum") continue;
      ++quorum_queues;
      if (queue.value("members", json::array()).size() != 3) return false;
    }
    return quorum_queues >= 8;
  };
  REQUIRE_MESSAGE(eventually(replicated, 60s), "queues: " << queues.dump());
  std::cout << "swarm cluster test: " << queues.size() << " queues, each on 3 nodes, after "
            << since() << " s" << std::endl;

  const std::string left = stack.remove();
  CHECK_MESSAGE(left.empty(), "left over:\n" << left);
  std::cout << "swarm cluster test: removed after " << since() << " s" << std::endl;
}

}  // namespace snet::test
