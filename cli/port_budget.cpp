#include "port_budget.hpp"

#include <algorithm>

namespace snet::cli {

PortBudget port_budget(const PortDemand& demand) {
  PortBudget budget;
  budget.listeners = demand.relayed ? demand.agents : 0;
  // The agents' devices reach the broker from this host's one address only when neither the
  // kernel engine places them nor the relay spreads them over its addresses.
  const bool hosted_share_address = !demand.placed && (!demand.relayed || !demand.broker_loopback);
  const auto to_broker = [&](std::size_t hosted, std::size_t external) {
    return (hosted_share_address ? hosted : 0) + external;
  };
  budget.connections = std::max(to_broker(demand.mqtt_devices, demand.external_mqtt),
                                to_broker(demand.amqp_devices, demand.external_amqp));
  return budget;
}

std::string port_budget_problem(const PortBudget& budget, long available) {
  if (available <= 0 || budget.needed() <= static_cast<std::size_t>(available)) return "";
  return std::to_string(budget.needed()) + " loopback ports needed (" +
         std::to_string(budget.connections) + " connections to one broker address from this " +
         "host's, " + std::to_string(budget.listeners) + " relay listener" +
         (budget.listeners == 1 ? "" : "s") + ", " + std::to_string(PortBudget::kHeadroom) +
         " for the services), more than the " + std::to_string(available) +
         " ephemeral ports of net.ipv4.ip_local_port_range: widen the range (sysctl), or let the "
         "devices leave from addresses of their own (--links process or auto with a broker on "
         "127.0.0.1, or kernel)";
}

bool loopback_v4_host(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

}  // namespace snet::cli
