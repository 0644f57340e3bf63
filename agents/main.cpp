// snet-agent: hosts a topology's emulated buttons and actuators (see agent.hpp and
// agent_service.hpp; exit codes in snet/service.hpp).
#include <chrono>

#include "agent.hpp"
#include "agent_service.hpp"
#include "snet/bus_loop.hpp"
#include "snet/log.hpp"
#include "snet/net.hpp"
#include "snet/service.hpp"

using namespace snet;

int main(int argc, char** argv) {
  const auto began = std::chrono::steady_clock::now();  // snet_agent_connect_ms counts from here
  Service service(
      {.program = "snet-agent",
       .summary = "Hosts a topology's emulated devices, each its own MQTT or AMQP client.",
       .name = "agent",
       .name_env = "SNET_AGENT_NAME"});
  agents::add_agent_flags(service.flags());
  return service.run(argc, argv, [&] {
    Metrics metrics;
    agents::AgentMetrics agent_metrics(metrics);
    agents::AgentSetup setup;  // the relay outlives the agent's devices
    const auto agent = agents::make_agent(service.flags(), service.take_topology(),
                                          service.broker_url(), setup, agent_metrics);
    // The agent's own connection (outlived by the agent) on a loop of its own: the devices' MQTT
    // client, not Paho, whose start-up alone (OpenSSL's, its threads) was 2.4 MB of an agent's RSS.
    BusLoop status_loop;
    const auto status_bus = service.make_bus(service.bus_options(), &status_loop);
    agents::serve_control(*status_bus, service.topology_name(), *agent, setup, agent_metrics);
    status_bus->start();
    log::info("topology '", service.topology_name(), "': connecting ", agent->size(),
              " devices to ",
              redacted_url(setup.options.mqtt_url.empty() ? service.broker_url()
                                                          : setup.options.mqtt_url));
    if (agent->start([&] { return service.stop_requested(); }) == agent->size()) {
      agent_metrics.connect_ms.set(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - began)
                                       .count());
    }
    if (!service.stop_requested()) {
      // Online only after the devices are up: `snet up` waits for this.
      const auto status = service.report_status(*status_bus, metrics);
      agents::LinkReports reports(*status_bus, service.topology_name(), service.name(),
                                  *setup.links);
      do {
        reports.publish();
      } while (service.wait_for_shutdown(service.status_interval()) == 0);
    }
    status_bus->stop();
    return kExitClean;
  });
}
