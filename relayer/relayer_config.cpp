#include "relayer_config.hpp"

#include "backends.hpp"
#include "snet/bus.hpp"
#include "snet/net.hpp"

namespace snet::relayer {

void add_relayer_flags(Flags& flags) {
  flags
      .add("share-group", "SNET_SHARE_GROUP", "relayers",
           "relayers of a topology with the same group share the presses (MQTT $share, AMQP one "
           "queue); 'none': every relayer gets every press (RabbitMQ's MQTT plugin has no $share)")
      .add("compute", "SNET_RELAYER_COMPUTE", "",
           "take only the presses of buttons that use this compute of the topology's "
           "\"computes\" ('default': buttons without \"use\"); empty: every press")
      .add("rules", "SNET_RELAYER_RULES", "on",
           "'on': evaluate the topology's rules (of --compute, when given): follow their sensors' "
           "readings and fire them; 'off': presses only (snet up gives 'on' to one relayer per "
           "compute: each relayer that evaluates a rule fires it)")
      .add("dedupe-window", "SNET_DEDUPE_WINDOW", "100000", "press ids remembered for dedupe");
  add_backend_flags(flags);
}

RelayerOptions relayer_options(const Flags& flags, const Topology& topology,
                               const std::string& broker_url) {
  check_backends(topology, flags.str("topology"));
  RelayerOptions options;
  const std::string group = flags.str("share-group");
  if (group.find_first_of("/+#$") != std::string::npos) {
    throw UsageError("--share-group: '" + group + "' must not contain '/', '+', '#' or '$'");
  }
  options.dedupe_capacity =
      static_cast<std::size_t>(flags.integer("dedupe-window", 1, 100'000'000));
  options.compute = flags.str("compute");
  const std::string rules = flags.str("rules");
  if (rules != "on" && rules != "off") {
    throw UsageError("--rules: '" + rules + "' must be 'on' or 'off'");
  }
  options.rules = rules == "on";
  if (const auto problem = compute_problem(topology, options.compute)) {
    throw UsageError("--compute: " + *problem);
  }
  const bool over_mqtt = !is_amqp_url(broker_url);
  if (over_mqtt && topology.broker == BrokerKind::rabbitmq) {
    if (topology.routing != Routing::topic) {
      // Over RabbitMQ's MQTT plugin the relayer could reach amq.topic only, not the group or
      // headers exchanges: AMQP members would silently miss every command.
      throw UsageError(std::string(to_string(topology.routing)) +
                       " routing on RabbitMQ publishes to exchanges: give the AMQP URL "
                       "(--broker-url amqp://user@host:5672/vhost), not '" +
                       redacted_url(broker_url) + "'");
    }
    if (group != "none") {
      // RabbitMQ 3.10's MQTT plugin has no shared subscriptions: $share/... would match
      // nothing and the relayer would never see a press.
      throw UsageError(
          "RabbitMQ's MQTT plugin has no shared subscriptions: give the AMQP URL (--broker-url "
          "amqp://user@host:5672/vhost), or --share-group none to take every press over '" +
          redacted_url(broker_url) + "'");
    }
  }
  options.share_group = group == "none" ? "" : "snet-" + topology.name + "-" + group;
  return options;
}

}  // namespace snet::relayer
