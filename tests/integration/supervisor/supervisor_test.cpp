// `snet up` supervises (issue 9, section 1): nothing outlives it, a killed child comes back with
// the same ports and the press path works again, the control endpoint's verbs and errors,
// --restart no, --relayers N. Real processes, real mosquitto, free ports.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <csignal>
#include <filesystem>
#include <set>
#include <thread>

#include "snet/net.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;
using nlohmann::json;

namespace {

pid_t pid_of(SnetUp& up, const std::string& name) {
  const auto item = up.service(name);
  return item.is_null() ? 0 : item.value("pid", 0);
}

bool running_with_new_pid(const json& item, pid_t old_pid) {
  return item.value("state", "") == "running" && item.value("pid", 0) != 0 &&
         item.value("pid", 0) != old_pid;
}

}  // namespace

TEST_CASE("kill -9 of snet up leaves no process of its stack, Node workers and broker included") {
  SnetUp up;
  // snet-whisk's warm Node.js workers are grandchildren: wait until they run.
  REQUIRE(eventually(
      [&] {
        for (const auto& [pid, name] : descendants_of(up.pid())) {
          if (name == "node") return true;
        }
        return false;
      },
      10s));
  auto stack = descendants_of(up.pid());
  for (const auto& entry : processes_mentioning(up.data_dir())) stack.insert(entry);
  std::set<std::string> names;
  for (const auto& [pid, name] : stack) names.insert(name);
  for (const char* expected :
       {"mosquitto", "snet-relayer", "snet-whisk", "snet-state", "snet-agent", "node"}) {
    CHECK_MESSAGE(names.count(expected) == 1, expected, " not found among the stack's processes");
  }

  const auto killed = std::chrono::steady_clock::now();
  ::kill(up.pid(), SIGKILL);
  REQUIRE(up.process().wait_for(5s));
  const bool all_gone = eventually(
      [&] {
        for (const auto& [pid, name] : stack) {
          if (alive(pid)) return false;
        }
        return processes_mentioning(up.data_dir()).empty();
      },
      2s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed);
  MESSAGE("every process of the stack gone ", took.count(), " ms after kill -9 of snet up");
  CHECK(all_gone);
  for (const auto& [pid, name] : stack) CHECK_MESSAGE(!alive(pid), name, " (", pid, ") is alive");
  // None of its processes listens on its ports any more, so the next `snet up` can have them.
  // (Whoever listens there now is not ours: the suite runs tests in parallel, and another one
  // may have been given the freed port.)
  for (const int port : {up.mqtt_port(), up.http_port()}) {
    for (const auto& [pid, name] : listeners_on(port)) {
      CHECK_MESSAGE(stack.count(pid) == 0, name, " (", pid, ") of the stack listens on ", port);
      CHECK_MESSAGE(processes_mentioning(up.data_dir()).count(pid) == 0, name, " (", pid,
                    ") listens on ", port, " with the stack's data dir");
    }
  }
}

TEST_CASE("a relayer killed with -9 is restarted, counted, and presses are applied again") {
  SnetUp up;
  const pid_t before = pid_of(up, "relayer");
  REQUIRE(before > 0);
  ::kill(before, SIGKILL);
  REQUIRE_MESSAGE(up.wait_service("relayer",
                                  [&](const json& item) {
                                    return running_with_new_pid(item, before) &&
                                           item.value("restarts", 0) == 1;
                                  }),
                  up.output());
  const auto relayer = up.service("relayer");
  CHECK(relayer["last_exit"] == "killed by signal 9");
  CHECK(relayer["kind"] == "relayer");
  CHECK(up.output().find("relayer killed by signal 9; restarting in 0.1 s (restart 1)") !=
        std::string::npos);
  CHECK(read_text(up.data_dir() + "/logs/relayer.log").find("restart 1 of relayer") !=
        std::string::npos);

  // A press published now (the restarted relayer reported ready) is applied at once.
  const std::string id = "after-relayer-kill";
  REQUIRE(mosquitto_pub(up.mqtt_port(), "snet/single/press/button-1",
                        R"({"id":")" + id + R"("})") == 0);
  CHECK_MESSAGE(eventually(
                    [&] {
                      const auto got =
                          http_request("GET", up.http_port(), "/api/devices/actuator-1");
                      return got.body.find(id) != std::string::npos;
                    },
                    10s),
                up.output());
  CHECK(up.process().running());
}

TEST_CASE("mosquitto killed with -9 is restarted on its port, and presses are applied again") {
  SnetUp up;
  const pid_t before = pid_of(up, "broker");
  REQUIRE(before > 0);
  ::kill(before, SIGKILL);
  REQUIRE_MESSAGE(up.wait_service("broker",
                                  [&](const json& item) {
                                    return running_with_new_pid(item, before) &&
                                           item.value("restarts", 0) == 1;
                                  }),
                  up.output());
  CHECK(wait_for_port("127.0.0.1", up.mqtt_port(), 0ms));
  CHECK(children_of(up.pid()).count(pid_of(up, "broker")) == 1);
  // The services reconnect by themselves (each with its own back-off): a press gets through.
  const auto started = std::chrono::steady_clock::now();
  const std::string applied = up.press_until_applied("button-2", "actuator-2", "after-broker-kill");
  CHECK_MESSAGE(!applied.empty(), up.output());
  MESSAGE("first press applied ",
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                started)
              .count(),
          " ms after the broker was ready again (", applied, ")");
}

TEST_CASE("the control endpoint: services, pause/resume/stop/start/restart/kill, and errors") {
  SnetUp::Options options;
  options.extra_args = {"--relayers", "2"};
  SnetUp up(options);

  // Every service, in start order, with the documented fields.
  std::vector<std::string> names;
  for (const auto& item : up.services()) {
    names.push_back(item.value("name", ""));
    for (const char* field :
         {"name", "kind", "pid", "state", "restarts", "last_exit", "since_us"}) {
      CHECK_MESSAGE(item.contains(field), "missing ", field, " in ", item.dump());
    }
    CHECK(item["state"] == "running");
  }
  CHECK(names ==
        std::vector<std::string>{"broker", "relayer-1", "relayer-2", "whisk", "state", "agent"});
  CHECK(up.service("relayer-2")["kind"] == "relayer");

  // pause / resume: SIGSTOP and SIGCONT.
  const pid_t agent = pid_of(up, "agent");
  auto paused = up.control("agent", "pause");
  REQUIRE(paused.status == 200);
  CHECK(json::parse(paused.body)["service"]["state"] == "paused");
  CHECK(eventually([&] { return process_state(agent) == 'T'; }, 2s));
  CHECK(up.control("agent", "pause").status == 409);
  auto resumed = up.control("agent", "resume");
  REQUIRE(resumed.status == 200);
  CHECK(json::parse(resumed.body)["service"]["state"] == "running");
  CHECK(eventually([&] { return process_state(agent) != 'T'; }, 2s));
  const auto not_paused = up.control("agent", "resume");
  CHECK(not_paused.status == 409);
  CHECK(json::parse(not_paused.body)["error"] == "'agent' is not paused (it is running)");

  // stop: answered once the process is gone; it stays stopped (not a failure).
  auto stopped = up.control("agent", "stop");
  REQUIRE(stopped.status == 200);
  CHECK(json::parse(stopped.body)["service"]["state"] == "stopped");
  CHECK(json::parse(stopped.body)["service"]["pid"] == 0);
  CHECK(!alive(agent));
  CHECK(up.control("agent", "stop").status == 409);
  CHECK(up.control("agent", "kill").status == 409);
  CHECK(up.control("agent", "pause").status == 409);
  std::this_thread::sleep_for(500ms);  // longer than a restart's back-off: nothing restarts it
  CHECK(up.service("agent")["state"] == "stopped");
  CHECK(up.service("agent")["restarts"] == 0);

  // start: a new process, starting then running.
  auto started = up.control("agent", "start");
  REQUIRE(started.status == 200);
  const pid_t agent2 = json::parse(started.body)["service"]["pid"];
  CHECK(agent2 > 0);
  CHECK(agent2 != agent);
  const auto again = up.control("agent", "start");
  CHECK(again.status == 409);
  CHECK(json::parse(again.body)["error"].get<std::string>().find("use restart") !=
        std::string::npos);
  CHECK(up.wait_service("agent", [&](const json& item) { return item["state"] == "running"; }));

  // restart: stop then start, a new pid.
  auto restarted = up.control("relayer-2", "restart");
  REQUIRE(restarted.status == 200);
  const pid_t relayer2 = json::parse(restarted.body)["service"]["pid"];
  CHECK(relayer2 > 0);
  CHECK(up.wait_service("relayer-2", [&](const json& item) {
    return item["state"] == "running" && item["pid"] == relayer2;
  }));
  CHECK(up.service("relayer-2")["restarts"] == 0);  // by request: not a policy restart

  // kill: SIGKILL, then the policy (on-failure) restarts it and counts it.
  const pid_t whisk = pid_of(up, "whisk");
  auto killed = up.control("whisk", "kill");
  REQUIRE(killed.status == 200);
  CHECK(json::parse(killed.body)["service"]["last_exit"] == "killed by signal 9");
  CHECK(up.wait_service("whisk", [&](const json& item) {
    return running_with_new_pid(item, whisk) && item["restarts"] == 1;
  }));

  // Errors name what is wrong.
  const auto unknown = up.control("nope", "stop");
  CHECK(unknown.status == 404);
  CHECK(json::parse(unknown.body)["error"] ==
        "unknown service 'nope' (services: broker, relayer-1, relayer-2, whisk, state, agent)");
  const auto verb = up.control("agent", "explode");
  CHECK(verb.status == 400);
  CHECK(json::parse(verb.body)["error"] ==
        "unknown verb 'explode' (verbs: stop, start, restart, kill, pause, resume)");
  const auto one = http_request("GET", up.control_port(), "/services/state");
  CHECK(one.status == 200);
  CHECK(json::parse(one.body)["service"]["name"] == "state");

  // run.json tells tools where everything is; snet-state got the endpoint in its environment.
  const auto run = json::parse(read_text(up.data_dir() + "/run.json"));
  const std::string control_url = "http://127.0.0.1:" + std::to_string(up.control_port());
  CHECK(run["supervisor_url"] == control_url);
  CHECK(run["http_url"] == "http://127.0.0.1:" + std::to_string(up.http_port()));
  CHECK(run["broker_url"] == "mqtt://snet.up@127.0.0.1:" + std::to_string(up.mqtt_port()));
  CHECK(run["pid"] == up.pid());
  CHECK((std::filesystem::status(up.data_dir() + "/run.json").permissions() &
         std::filesystem::perms::all) == static_cast<std::filesystem::perms>(0644));
  const std::string environ =
      read_text("/proc/" + std::to_string(pid_of(up, "state")) + "/environ");
  CHECK(environ.find("SNET_SUPERVISOR_URL=" + control_url) != std::string::npos);

  // The supervisor publishes its status with the restart counters (services' status topics are
  // not for anonymous clients: the operator's login reads them).
  Recorder recorder(up.mqtt_url(), {"snet/single/status/supervisor"});
  const auto status = recorder.wait_for("snet/single/status/supervisor",
                                        R"(snet_supervisor_restarts_total{service=\"whisk\"}":1)");
  REQUIRE(status);
  const auto metrics = json::parse(status->payload)["metrics"];
  CHECK(metrics["snet_supervisor_restarts_total{service=\"whisk\"}"] == 1);
  CHECK(metrics["snet_supervisor_restarts_total{service=\"relayer-1\"}"] == 0);
}

TEST_CASE("--restart no: a killed service stays stopped and snet up carries on") {
  SnetUp::Options options;
  options.extra_args = {"--restart", "no"};
  SnetUp up(options);
  const pid_t relayer = pid_of(up, "relayer");
  REQUIRE(relayer > 0);
  ::kill(relayer, SIGKILL);
  REQUIRE(up.wait_service("relayer", [](const json& item) {
    return item["state"] == "stopped" && item["last_exit"] == "killed by signal 9";
  }));
  std::this_thread::sleep_for(500ms);  // past the first back-off: still nothing restarts it
  CHECK(up.service("relayer")["state"] == "stopped");
  CHECK(up.service("relayer")["restarts"] == 0);
  CHECK(up.process().running());
  CHECK(up.service("state")["state"] == "running");
  CHECK(up.output().find("relayer killed by signal 9; not restarted (--restart no)") !=
        std::string::npos);
  // Started again by hand, it works.
  REQUIRE(up.control("relayer", "start").status == 200);
  CHECK(up.wait_service("relayer", [](const json& item) { return item["state"] == "running"; }));

  // A second SIGTERM (Ctrl-C) while stopping kills what is left at once.
  const auto descendants = descendants_of(up.pid());
  up.process().signal(SIGTERM);
  REQUIRE(eventually([&] { return up.output().find("stopping: waiting for") != std::string::npos; },
                     5s));
  up.process().signal(SIGTERM);
  REQUIRE(up.process().wait_for(5s));
  CHECK_MESSAGE(up.output().find("forced: killing") != std::string::npos, up.output());
  CHECK(WIFEXITED(*up.process().exit_status()));
  for (const auto& [pid, name] : descendants) CHECK_MESSAGE(!alive(pid), name, " is alive");
}

TEST_CASE(
    "RabbitMQ under snet up: killed, it comes back with its queues, and kill -9 of snet up "
    "leaves no Erlang process") {
  SnetUp::Options options;
  options.topology = "topology/mixed.json";
  options.topology_name = "mixed";
  options.extra_args = {"--start-timeout-s", "90"};
  options.ready_timeout = 120s;
  SnetUp up(options);
  const pid_t node = pid_of(up, "broker");
  REQUIRE(node > 0);
  CHECK(process_state(node) != 0);
  CHECK(read_text("/proc/" + std::to_string(node) + "/comm").rfind("beam", 0) == 0);

  ::kill(node, SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  REQUIRE_MESSAGE(up.wait_service(
                      "broker",
                      [&](const json& item) {
                        return running_with_new_pid(item, node) && item.value("restarts", 0) == 1;
                      },
                      60s),
                  up.output());
  MESSAGE("RabbitMQ ready again ",
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                killed)
              .count(),
          " ms after kill -9");
  // The AMQP lamp's durable queue survived: a press from an MQTT button reaches it.
  CHECK_MESSAGE(
      !up.press_until_applied("mqtt-switch", "amqp-lamp", "after-rabbit-kill", 30s).empty(),
      up.output());

  auto stack = descendants_of(up.pid());
  for (const auto& entry : processes_mentioning(up.data_dir())) stack.insert(entry);
  std::set<std::string> names;
  for (const auto& [pid, name] : stack) names.insert(name);
  CHECK(names.count("beam.smp") == 1);
  CHECK(names.count("epmd") == 1);
  ::kill(up.pid(), SIGKILL);
  REQUIRE(up.process().wait_for(5s));
  CHECK(eventually(
      [&] {
        for (const auto& [pid, name] : stack) {
          if (alive(pid)) return false;
        }
        return processes_mentioning(up.data_dir()).empty();
      },
      2s));
  for (const auto& [pid, name] : stack) CHECK_MESSAGE(!alive(pid), name, " (", pid, ") is alive");
}
