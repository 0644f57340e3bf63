// `snet up` after a run with more (or other) relayers on the same data dir: Mosquitto keeps the
// old relayers' persistent sessions, members of the presses' shared subscription, and queues
// their turn of every press. snet up hands what they hold to the running relayers and ends them
// (cli/stale_sessions.hpp), so no press is lost to a relayer that no longer exists.
#include <doctest/doctest.h>

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>

#include "snet/bus.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;

namespace {

SnetUp::Options run_on(const std::string& data_dir, const std::string& relayers) {
  SnetUp::Options options;
  options.topology = "tests/topology/single-builtin.json";
  options.topology_name = "single";
  options.data_dir = data_dir;
  options.extra_args = {"--relayers", relayers};
  return options;
}

void stop(SnetUp& up) {
  up.process().signal(SIGTERM);
  REQUIRE(up.process().wait_for(20s));
}

std::string state_topic(int pair) {
  return "snet/single/state/actuator-" + std::to_string(pair);
}
std::string press_topic(int pair) {
  return "snet/single/press/button-" + std::to_string(pair);
}

bool mentions(const std::string& output, const std::string& text) {
  return output.find(text) != std::string::npos;
}

// The actuators' state reports over a persistent session: reports published while it is away
// (between two runs on the same data dir) are kept for it by the broker.
class StateReports {
 public:
  void connect(const std::string& url) {
    BusOptions options;
    options.url = url;
    options.client_id = "stale-sessions-test-reports";
    options.persistent_session = true;
    bus_ = make_bus(options);
    bus_->on_message([this](const Message& message) {
      {
        std::lock_guard lock(mutex_);
        payloads_.push_back(message.payload);
      }
      changed_.notify_all();
    });
    bus_->subscribe("snet/single/state/+", Qos::at_least_once);
    bus_->start();
    REQUIRE(bus_->wait_connected(5s));
  }
  void disconnect() {
    bus_->stop();
    bus_.reset();
  }
  std::set<std::string> applied(const std::vector<std::string>& ids) {
    std::lock_guard lock(mutex_);
    return applied_locked(ids);
  }
  bool wait_applied(const std::vector<std::string>& ids, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout,
                             [&] { return applied_locked(ids).size() == ids.size(); });
  }

 private:
  std::set<std::string> applied_locked(const std::vector<std::string>& ids) const {
    std::set<std::string> found;
    for (const auto& payload : payloads_) {
      for (const auto& id : ids) {
        if (mentions(payload, "\"" + id + "\"")) found.insert(id);
      }
    }
    return found;
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> payloads_;
  std::unique_ptr<Bus> bus_;
};

}  // namespace

TEST_CASE("snet up with fewer relayers than the last run on the same Mosquitto loses no press") {
  REQUIRE_MESSAGE(std::filesystem::exists(built_program("snet-state")),
                  "snet-state is not built: build it to run this test");
  // A broker that outlives the runs (--broker-url): the old relayers' sessions stay members of
  // the presses' share group, and Mosquitto queues their turn of every press.
  Mosquitto broker;
  TempDir dir("snet-stale-sessions");
  const std::string data_dir = dir.path() + "/data";
  auto on_broker = [&](const std::string& relayers) {
    auto options = run_on(data_dir, relayers);
    options.extra_args.insert(options.extra_args.end(), {"--broker-url", broker.url()});
    return options;
  };
  {
    SnetUp first(on_broker("2"));
    stop(first);
  }
  // Without the hand-over, two presses in three would go to relayer-1's and relayer-2's sessions
  // and never be handled.
  SnetUp second(on_broker("1"));
  const std::string output = second.output();
  CHECK(mentions(output, "queued presses of stale relayer session snet-single-relayer-1"));
  CHECK(mentions(output, "queued presses of stale relayer session snet-single-relayer-2"));
  Recorder recorder(broker.url(), {"snet/single/state/+"});
  REQUIRE(recorder.bus().wait_connected(5s));
  for (int i = 1; i <= 20; ++i) {
    const int pair = 1 + (i - 1) % 3;
    const std::string id = "fewer-" + std::to_string(i);
    REQUIRE(mosquitto_pub(broker.port(), press_topic(pair), R"({"id":")" + id + R"("})") == 0);
    REQUIRE_MESSAGE(recorder.wait_for(state_topic(pair), "\"" + id + "\"", 10s), "press ", id,
                    " was never applied; snet up said:\n", second.output());
  }
  // Once handed over, a stale session is ended and forgotten: the next start has none.
  stop(second);
  SnetUp third(on_broker("1"));
  CHECK_FALSE(mentions(third.output(), "stale relayer session"));
}

TEST_CASE("presses queued to a relayer's session are handed over when it is no longer planned") {
  REQUIRE_MESSAGE(std::filesystem::exists(built_program("snet-state")),
                  "snet-state is not built: build it to run this test");
  TempDir dir("snet-stale-queued");
  const std::string data_dir = dir.path() + "/data";
  const std::vector<std::string> ids = {"queued-1", "queued-2", "queued-3",
                                        "queued-4", "queued-5", "queued-6"};
  // The actuators' reports of both runs, those published between them included: a persistent
  // session in the broker's persistence, like the relayers'.
  StateReports reports;
  {
    SnetUp first(run_on(data_dir, "2"));
    // relayer-2 stops (a clean disconnect): its session stays, and Mosquitto queues its turn of
    // the presses for it.
    REQUIRE(first.control("relayer-2", "stop").status == 200);
    REQUIRE(first.wait_service("relayer-2", [](const nlohmann::json& service) {
      return service.value("state", "") == "stopped";
    }));
    reports.connect(first.mqtt_url());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      REQUIRE(mosquitto_pub(first.mqtt_port(), press_topic(1 + static_cast<int>(i % 3)),
                            R"({"id":")" + ids[i] + R"("})") == 0);
    }
    reports.disconnect();
    stop(first);
  }
  const auto before = reports.applied(ids);
  MESSAGE(before.size(), " of ", ids.size(), " presses applied before the restart");
  CHECK(before.size() < ids.size());  // some wait in relayer-2's session
  SnetUp second(run_on(data_dir, "1"));
  reports.connect(second.mqtt_url());
  CHECK_MESSAGE(reports.wait_applied(ids, 20s), "applied: ", reports.applied(ids).size(), " of ",
                ids.size(), "; snet up said:\n", second.output());
  reports.disconnect();
  const std::string said = second.output();
  const auto handed = said.find("queued presses of stale relayer session snet-single-relayer-2");
  REQUIRE(handed != std::string::npos);
  const auto line = said.rfind('\n', handed) + 1;
  MESSAGE(said.substr(line, said.find('\n', handed) - line));
  CHECK_FALSE(mentions(second.output(),
                       "handed 0 queued presses of stale relayer session "
                       "snet-single-relayer-2"));
}
