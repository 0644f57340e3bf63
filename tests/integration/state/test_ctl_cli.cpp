// `snet ctl` as a person uses it, against the real snet-state (with a stand-in supervisor)
// and a real mosquitto.
#include <doctest/doctest.h>

#include <unistd.h>

#include <sys/wait.h>
#include <fstream>
#include <sstream>

#include "fake_supervisor.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"
#include "state_stack.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// Runs `snet ctl args...`. SNET_URL is cleared so only the flags and run.json decide where the
// state service is.
SnetRun run_ctl(std::vector<std::string> args) {
  args.insert(args.begin(), "ctl");
  return run_snet(std::move(args), 20s, {{"SNET_URL", ""}});
}

}  // namespace

TEST_CASE("snet ctl: usage errors exit 2 and say what is wrong, --help exits 0") {
  const auto help = run_ctl({"--help"});
  CHECK(help.status == 0);
  CHECK(help.output.find("snet ctl storm") != std::string::npos);
  CHECK(run_ctl({"device", "--help"}).status == 0);

  struct Case {
    std::vector<std::string> args;
    const char* names;
  };
  const Case cases[] = {
      {{}, "control"},
      {{"relayer", "explode"}, "explode"},
      {{"device", "actuator-1"}, "usage"},
      {{"device", "actuator-1", "melt"}, "melt"},
      {{"device", "actuator-1", "offline", "--for", "2x"}, "--for"},
      {{"device", "actuator-1", "online", "--for", "2s"}, "online"},
      {{"storm", "button-1", "--kind", "actuator"}, "not both"},
      {{"storm", "--kind", "lamp"}, "lamp"},
      {{"services", "--for", "1s"}, "--for"},
  };
  for (const auto& c : cases) {
    const auto run = run_ctl(c.args);
    CHECK_MESSAGE(run.status == 2, run.output);
    CHECK_MESSAGE(run.output.find(c.names) != std::string::npos, run.output);
  }
  const auto dead =
      run_ctl({"services", "--url", "http://127.0.0.1:" + std::to_string(free_port())});
  CHECK(dead.status == 1);
  CHECK(dead.output.find("cannot reach the state service") != std::string::npos);
}

TEST_CASE("snet ctl controls services and devices through the state service") {
  FakeSupervisor supervisor;
  StateStack stack(source_path("topology/single.json"), {"--supervisor-url", supervisor.url()});
  Recorder recorder(stack.broker().url(), {topics::control_topic("single")});
  const std::string url = "http://127.0.0.1:" + std::to_string(stack.http_port());

  const auto services = run_ctl({"services", "--url", url});
  CHECK(services.status == 0);
  CHECK(services.output.find("relayer") != std::string::npos);
  CHECK(services.output.find("running") != std::string::npos);

  // Found through run.json, as `snet up` writes it.
  TempDir data("snet-ctl-data");
  // The pid is a live process's (ours), or the file would be stale.
  std::ofstream(data.path() + "/run.json")
      << nlohmann::json{{"http_url", url}, {"pid", static_cast<long>(::getpid())}}.dump();
  const auto kill = run_ctl({"relayer", "kill", "--data-dir", data.path()});
  CHECK_MESSAGE(kill.status == 0, kill.output);
  CHECK(kill.output.find("relayer: running (pid 1000, restarts 1)") != std::string::npos);

  const auto refused = run_ctl({"state", "stop", "--url", url});
  CHECK(refused.status == 1);
  CHECK(refused.output.find("cannot stop itself") != std::string::npos);
  CHECK(refused.output.find("HTTP 409") != std::string::npos);

  const auto restart_state = run_ctl({"state", "restart", "--url", url});
  CHECK_MESSAGE(restart_state.status == 0, restart_state.output);
  CHECK(restart_state.output.find("state: restart asked") != std::string::npos);

  const auto offline = run_ctl({"device", "actuator-1", "offline", "--for", "1.5s", "--url", url});
  CHECK_MESSAGE(offline.status == 0, offline.output);
  CHECK(offline.output.find("back online after 1500 ms") != std::string::npos);
  const auto storm = run_ctl({"storm", "--kind", "button", "--url", url});
  CHECK_MESSAGE(storm.status == 0, storm.output);
  REQUIRE(recorder.wait([](const auto& m) { return m.size() >= 2; }));
  const auto first = parse_device_control(recorder.messages()[0].payload);
  CHECK(first.action == "offline");
  CHECK(first.duration_ms == 1500);
  const auto second = parse_device_control(recorder.messages()[1].payload);
  CHECK(second.action == "reconnect");
  CHECK(second.devices.size() == 3);

  const auto ghost = run_ctl({"device", "ghost", "crash", "--url", url});
  CHECK(ghost.status == 1);
  CHECK(ghost.output.find("unknown device 'ghost' (HTTP 404)") != std::string::npos);
  CHECK(stack.get_json("/api/events?kind=fault")["events"].size() == 4);
}
