// docker-stack.yml (`snet stack`, cli/stack_file.hpp) with the Docker clients, label `compose`:
//   stack schema  each docker CLI found accepts the file (it validates before it needs a daemon)
//   stack sync    the file has the services of docker-compose.yml, minus the one-shot credentials
//   swarm         a single-node swarm runs it from the images compose/stack built: a press with
//                 the operator's login, the state by REST, agents scaled 1 -> 3 (each shard
//                 online), `docker stack rm` leaves nothing (see compose_main.cpp for skips)
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
  CommandResult deploy(int agents) {
    deployed_ = true;
    return run_command(env(agents) + " docker stack deploy --resolve-image never -c " +
                           shell_quote(source_path("docker-stack.yml")) + " " + name_,
                       120s);
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
    return "env SNET_IMAGE_TAG=" + shell_quote(image_tag()) +
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
    // It validates the file against its compose schema before it contacts the daemon.
    const CommandResult result = run_command(
        "cd " + shell_quote(source_path("")) + " && DOCKER_HOST=unix:///nonexistent " + docker +
            " stack deploy --resolve-image never -c docker-stack.yml snet-schema",
        60s);
    INFO(docker, ": ", result.output);
    CHECK(result.output.find("Cannot connect to the Docker daemon") != std::string::npos);
    CHECK(result.output.find("unsupported") == std::string::npos);
    CHECK(result.output.find("Additional property") == std::string::npos);
    CHECK(result.output.find("yaml:") == std::string::npos);
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
  const CommandResult made =
      run_command(shell_quote(built_program("snet")) + " stack --credentials " +
                      shell_quote(stack.secrets.path()),
                  60s);
  REQUIRE_MESSAGE(made.status == 0, made.output);
  const CommandResult joined = stack.join();
  REQUIRE_MESSAGE(joined.status == 0, joined.output);

  const auto started = std::chrono::steady_clock::now();
  const auto since = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  struct LogsOnFailure {
    const SwarmStack& stack;
    ~LogsOnFailure() {
      if (std::uncaught_exceptions() == 0) return;
      for (const char* service : {"mosquitto", "state", "relayer", "agent"}) {
        std::cout << "---- " << service << " ----\n" << stack.logs(service);
      }
    }
  } logs_on_failure{stack};

  const CommandResult deployed = stack.deploy(1);
  REQUIRE_MESSAGE(deployed.status == 0, deployed.output);
  const auto online = [&](const std::string& service, double devices) {
    const Seen s = seen(stack.dashboard, service, "snet_agent_devices");
    return s.online && (devices < 0 || s.metric == devices);
  };
  const bool up = eventually([&] { return online("agent-1", 6) && online("relayer-1", -1); }, 180s);
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
      [&] { return online("agent-1", 2) && online("agent-2", 2) && online("agent-3", 2); }, 120s);
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

}  // namespace snet::test
