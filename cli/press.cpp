// snet press BUTTON: asks the emulated button to press itself (a trigger), or with --direct
// publishes the press as the button would. Prints the press id once the broker has it (QoS 1).
// The broker and topology are those of the `snet up` running with --data-dir (run_file.hpp),
// unless given.
#include <condition_variable>
#include <iostream>
#include <mutex>

#include "commands.hpp"
#include "run_file.hpp"
#include "snet/bus.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "snet/topology.hpp"
#include "topology_path.hpp"

namespace snet::cli {
namespace {

// Publishes one message at QoS 1 and waits for the broker's acknowledgement.
bool publish_acknowledged(const std::string& url, Message message,
                          std::chrono::milliseconds timeout, std::string& error) {
  BusOptions options;
  options.url = url;
  auto bus = make_bus(options);
  bus->start();
  if (!bus->wait_connected(timeout)) {
    error = "cannot connect to the broker at " + url;
    return false;
  }
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<std::pair<bool, std::string>> outcome;
  bus->publish(std::move(message), Qos::at_least_once, [&](bool ok, const std::string& why) {
    std::lock_guard lock(mutex);
    outcome.emplace(ok, why);
    cv.notify_all();
  });
  std::unique_lock lock(mutex);
  if (!cv.wait_for(lock, timeout, [&] { return outcome.has_value(); })) {
    error = "the broker at " + url + " did not acknowledge the press";
  } else if (!outcome->first) {
    error = outcome->second;
  }
  const bool ok = outcome && outcome->first;
  lock.unlock();
  bus->stop();
  return ok;
}

}  // namespace

int press_command(int argc, const char* const* argv, int first) {
  Flags flags("snet press BUTTON", "Presses an emulated button and prints the press id.");
  flags
      .add("data-dir", "SNET_DATA_DIR", "data",
           "the data dir of the running `snet up`, whose run.json names its broker and topology")
      .add("topology", "SNET_TOPOLOGY", "",
           "topology file or name (default: the running snet up's, else topology/single.json)")
      .add("broker-url", "SNET_BROKER_URL", "",
           "broker to publish to (default: the MQTT listener of the running snet up)")
      .add("id", "", "", "press id to use (default: a new one)")
      .add("timeout-ms", "", "5000", "how long to wait for the broker")
      .add_switch("direct", "", "publish the press itself instead of triggering the button");
  std::chrono::milliseconds timeout{};
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    if (flags.positional().size() != 1) throw UsageError("give exactly one button id");
    timeout = std::chrono::milliseconds(flags.integer("timeout-ms", 1, 600'000));
  } catch (const UsageError& e) {
    std::cerr << "snet press: " << e.what() << "\n";
    return 2;
  }
  log::set_level(log::Level::error);  // the bus's reconnect chatter is not for this terminal
  const std::string button = flags.positional()[0];
  BrokerTarget target;
  Topology topology;
  try {
    target = broker_target(flags, "snet press", /*mqtt=*/true);
    topology = load_topology(resolve_topology_path(target.topology));
  } catch (const TopologyError& e) {
    std::cerr << "snet press: " << e.what() << "\n";
    return 1;
  } catch (const std::runtime_error& e) {  // no `snet up` running: the message names us
    std::cerr << e.what() << "\n";
    return 1;
  }
  const Device* device = topology.find(button);
  if (device == nullptr || device->kind != DeviceKind::button) {
    std::cerr << "snet press: '" << button << "' is not a button of topology '" << topology.name
              << "'\n";
    return 1;
  }
  Press press{flags.given("id") ? flags.str("id") : new_press_id(), 0};
  Message message;
  if (flags.on("direct")) {
    press.ts = now_us();
    message.topic = topics::make(topology.name, topics::Kind::press, button);
  } else {
    message.topic = topics::make(topology.name, topics::Kind::trigger, button);
  }
  message.payload = to_json(press);
  std::string error;
  try {
    if (!publish_acknowledged(target.broker_url, std::move(message), timeout, error)) {
      std::cerr << "snet press: " << error << "\n";
      return 1;
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "snet press: " << e.what() << "\n";
    return 2;
  }
  std::cout << press.id << "\n";
  return 0;
}

}  // namespace snet::cli
