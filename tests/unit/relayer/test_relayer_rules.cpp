// The relayer's rules without a broker: readings handed to Relayer::handle() fire the rules'
// commands (one per route, with the firing's press id), a redelivered reading commands nothing
// more, the reading is acknowledged once the firing is settled, and a relayer with rules off
// does not even subscribe to readings.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "builtin_compute.hpp"
#include "relayer.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"

using namespace snet;
using namespace snet::relayer;

namespace {

// Records what the relayer subscribes and publishes; every publish is answered at once:
// confirmed, or for the first `refusals` commands refused as a broker's nack would be.
class FakeBus final : public Bus {
 public:
  std::vector<std::string> subscriptions;
  std::vector<Message> published;
  std::atomic<int> refusals{0};
  MessageHandler handler;
  void on_message(MessageHandler h) override { handler = std::move(h); }
  void on_connection_change(std::function<void(bool)>) override {}
  void subscribe(const std::string& filter, Qos) override { subscriptions.push_back(filter); }
  void subscribe_shared(const std::string&, const std::string& filter, Qos) override {
    subscriptions.push_back("$share/" + filter);
  }
  void publish(Message message, Qos, PublishDone done) override {
    const bool command = message.topic.find("/cmd/") != std::string::npos;
    if (command && refusals > 0) {
      --refusals;
      if (done) done(false, "the broker refused it (basic.nack)");
      return;
    }
    published.push_back(std::move(message));
    if (done) done(true, "");
  }
  void start() override {}
  bool wait_connected(std::chrono::milliseconds) override { return true; }
  bool connected() const override { return true; }
  void stop() override {}
};

const char* kTopology = R"({"name": "t",
  "compute": {"backend": "builtin", "action": "flip_switch"},
  "devices": [
    {"id": "thermo", "kind": "sensor", "sensor": {"capability": "temperature", "unit": "C",
     "rate_hz": 1, "model": {"type": "constant", "value": 21}}},
    {"id": "heater", "kind": "actuator"}],
  "rules": [{"id": "too-warm", "on": {"device": "thermo", "reading": "temperature", "above": 25},
             "compute": {"action": "all_off"}, "targets": ["heater"]}]})";

ComputeBackends builtin() {
  ComputeBackends backends;
  backends.add("builtin", std::make_unique<BuiltinCompute>());
  return backends;
}

Message reading_message(std::uint64_t seq, double value, int* acks) {
  const Reading r{"thermo", "temperature", value, "C", seq, 1'000'000 + static_cast<Micros>(seq)};
  return Message{topics::make("t", topics::Kind::reading, "thermo"), to_json(r), false, {}, [acks] {
                   ++*acks;
                 }};
}

std::vector<Command> commands_to(const FakeBus& bus, const std::string& actuator) {
  std::vector<Command> out;
  for (const auto& m : bus.published) {
    if (m.topic == topics::make("t", topics::Kind::cmd, actuator))
      out.push_back(parse_command(m.payload));
  }
  return out;
}

}  // namespace

TEST_CASE("a reading crossing a rule's threshold commands its targets once, acknowledged after") {
  const Topology topology = parse_topology_text(kTopology);
  FakeBus bus;
  Metrics metrics;
  Relayer relayer(bus, topology, builtin(), metrics);
  CHECK(std::count(bus.subscriptions.begin(), bus.subscriptions.end(),
                   topics::make("t", topics::Kind::reading, "thermo")) == 1);
  int acks = 0;
  relayer.handle(reading_message(1, 20, &acks));  // below: quiet
  CHECK(commands_to(bus, "heater").empty());
  CHECK(acks == 1);
  relayer.handle(reading_message(2, 26, &acks));  // crosses: fires
  REQUIRE(commands_to(bus, "heater").size() == 1);
  const Command command = commands_to(bus, "heater").front();
  CHECK_FALSE(command.on);  // all_off
  CHECK(command.press_id == "rule:too-warm:thermo:2:1000002");
  CHECK(command.button == "too-warm");
  CHECK(command.press_ts == 1'000'002);
  CHECK(acks == 2);  // the command was confirmed: the reading is acknowledged
  relayer.handle(reading_message(2, 26, &acks));  // redelivered: nothing more
  relayer.handle(reading_message(3, 27, &acks));  // still above: no new edge
  CHECK(commands_to(bus, "heater").size() == 1);
  CHECK(acks == 4);
  relayer.handle(reading_message(4, 20, &acks));  // leaves: re-armed
  relayer.handle(reading_message(5, 30, &acks));  // fires again
  CHECK(commands_to(bus, "heater").size() == 2);
  CHECK(metrics.counter("snet_relayer_rule_firings_total", "", "rule=\"too-warm\"").value() == 2);
  // A reading whose payload names another device is refused, counted, acknowledged.
  Message forged = reading_message(6, 40, &acks);
  forged.payload = to_json(Reading{"other", "temperature", 40, "C", 6, 2'000'000});
  relayer.handle(forged);
  CHECK(commands_to(bus, "heater").size() == 2);
  CHECK(metrics.counter("snet_relayer_bad_readings_total", "").value() == 1);
  CHECK(acks == 7);
}

TEST_CASE("a relayer with rules off, or of another compute, does not follow readings") {
  const Topology topology = parse_topology_text(kTopology);
  RelayerOptions off, other;
  off.rules = false;
  other.compute = "other";
  for (const auto& options : {off, other}) {
    FakeBus bus;
    Metrics metrics;
    Relayer relayer(bus, topology, builtin(), metrics, options);
    for (const auto& filter : bus.subscriptions) {
      CAPTURE(filter);
      CHECK(filter.find("/reading/") == std::string::npos);
    }
  }
}

TEST_CASE("a command the broker refuses is published again and the reading acknowledged after") {
  const Topology topology = parse_topology_text(kTopology);
  FakeBus bus;
  bus.refusals = 2;  // e.g. a cluster's queue between two leaders
  Metrics metrics;
  Relayer relayer(bus, topology, builtin(), metrics);
  std::atomic<int> acks{0};
  const Reading r{"thermo", "temperature", 30, "C", 1, 1'000'001};
  relayer.handle(
      Message{topics::make("t", topics::Kind::reading, "thermo"), to_json(r), false, {}, [&acks] {
                ++acks;
              }});
  // Retried after 100 ms, then 200 ms: bounded wait for the third try's confirm.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (acks == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(acks == 1);
  CHECK(bus.refusals == 0);
  CHECK(commands_to(bus, "heater").size() == 1);
  CHECK(metrics.counter("snet_relayer_command_retries_total", "").value() == 2);
  CHECK(metrics.counter("snet_relayer_publish_failures_total", "").value() == 0);
  CHECK(metrics.counter("snet_relayer_press_errors_total", "").value() == 0);
}
