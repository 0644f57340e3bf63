// End to end: a press published with mosquitto_pub goes through the relayer (its "openwhisk"
// backend) to a real snet-whisk running the action in Node.js, and the command comes back on the
// broker; a failing action becomes the press's error event.
#include <doctest/doctest.h>

#include "backends.hpp"
#include "deploy.hpp"
#include "relayer.hpp"
#include "snet/bus.hpp"
#include "snet/topology.hpp"
#include "whisk_fixture.hpp"

using namespace snet;
using namespace snet::test;

namespace {

const char* const kTopology = R"({
  "name": "whisk-e2e",
  "compute": {"backend": "openwhisk", "action": "flip_switch"},
  "devices": [
    {"id": "hall", "kind": "button", "targets": ["lamp-1", "lamp-2"]},
    {"id": "panic", "kind": "button", "targets": ["lamp-1"],
     "compute": {"backend": "openwhisk", "action": "thrower"}},
    {"id": "lamp-1", "kind": "actuator"},
    {"id": "lamp-2", "kind": "actuator"}
  ]
})";

}  // namespace

TEST_CASE("a press runs an OpenWhisk action in snet-whisk and its commands reach the broker") {
  Mosquitto broker;
  WhiskServer whisk;
  for (const auto& r :
       openwhisk::deploy_actions(source_path("actions"), whisk.apihost(), WhiskServer::auth())) {
    REQUIRE(r.ok);
  }
  REQUIRE(whisk.put_action("thrower", "function main() { throw new Error('alarm wiring cut'); }")
              .status == 200);

  const Topology topology = parse_topology_text(kTopology);
  Metrics metrics;
  relayer::ComputeBackends backends;
  backends.add("openwhisk",
               std::make_unique<openwhisk::OpenWhiskCompute>(whisk.client_options(), metrics));
  BusOptions options;
  options.url = broker.url();
  auto bus = make_bus(options);
  Recorder recorder(broker.url(), {"snet/whisk-e2e/cmd/#", "snet/whisk-e2e/event/#"});
  {
    relayer::Relayer relayer(*bus, topology, std::move(backends), metrics);
    bus->start();
    REQUIRE(bus->wait_connected(10s));

    REQUIRE(mosquitto_pub(broker.port(), "snet/whisk-e2e/press/hall", R"({"id": "p-1"})") == 0);
    const auto first = recorder.wait_for("snet/whisk-e2e/cmd/lamp-1", "p-1", 15s);
    const auto second = recorder.wait_for("snet/whisk-e2e/cmd/lamp-2", "p-1", 15s);
    INFO(whisk.log());
    REQUIRE(first);
    REQUIRE(second);
    CHECK(parse_command(first->payload).on);  // never reported: off, so flip_switch turns it on
    CHECK(parse_command(second->payload).button == "hall");

    REQUIRE(mosquitto_pub(broker.port(), "snet/whisk-e2e/press/panic", R"({"id": "p-2"})") == 0);
    const auto event = recorder.wait_for("snet/whisk-e2e/event/panic", "p-2", 15s);
    REQUIRE(event);
    const PressError error = parse_press_error(event->payload);
    CHECK(error.action == "thrower");
    CHECK(error.error.find("alarm wiring cut") != std::string::npos);
    bus->stop();  // before the relayer goes (relayer.hpp)
  }
}
