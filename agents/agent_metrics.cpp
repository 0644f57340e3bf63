#include "agent_metrics.hpp"

namespace snet::agents {

AgentMetrics::AgentMetrics(Metrics& metrics)
    : registry(metrics),
      devices(metrics.gauge("snet_agent_devices", "Devices hosted by this agent")),
      connected(metrics.gauge("snet_agent_devices_connected", "Devices connected and subscribed")),
      connect_ms(metrics.gauge("snet_agent_connect_ms",
                               "Milliseconds from the agent's start until all its devices were "
                               "connected and subscribed (0 until they are)")),
      restored(metrics.gauge("snet_agent_actuators_restored",
                             "Actuators whose state is restored and that apply commands")),
      presses(metrics.counter("snet_agent_presses_total", "Presses published by buttons")),
      press_retries(metrics.counter("snet_agent_press_retries_total",
                                    "Presses published again after the broker refused them")),
      presses_lost(metrics.counter("snet_agent_presses_lost_total",
                                   "Presses the broker never confirmed: refused on every try, "
                                   "or unconfirmed when the button stopped")),
      applied(metrics.counter("snet_agent_commands_applied_total", "Commands applied")),
      duplicates(metrics.counter("snet_agent_duplicates_total",
                                 "Commands ignored because their press id was already applied")),
      losses(metrics.counter("snet_agent_connection_losses_total",
                             "Device connections lost (the device reconnects by itself)")),
      link_updates(metrics.counter("snet_agent_link_updates_total",
                                   "Link updates applied by the process engine (the relay)")),
      readings(metrics.counter("snet_agent_readings_total", "Readings published by sensors")),
      readings_skipped(metrics.counter(
          "snet_agent_readings_skipped_total",
          "Readings not taken because the sensor was down (not connected, or a fault)")) {
  for (auto reason : kAgentRejectReasons) rejected(std::string(reason));
}

Counter& AgentMetrics::faults(const std::string& action) {
  return registry.counter("snet_agent_faults_total", "Faults injected into devices, by action",
                          "action=\"" + action + "\"");
}

Counter& AgentMetrics::rejected(const std::string& reason) {
  return registry.counter("snet_agent_rejected_total", "Triggers and commands rejected, by reason",
                          "reason=\"" + reason + "\"");
}

}  // namespace snet::agents
