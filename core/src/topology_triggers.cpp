// Trigger computes (`"compute": {"backend": "openwhisk", "action": A, "trigger": T}`): the
// relayer fires OpenWhisk trigger T per press and the rule T -> A runs the action, which
// publishes the commands itself over MQTT. What must hold for that to work is checked here.
#include <map>

#include "topology_internal.hpp"

namespace snet::detail {
namespace {

// OpenWhisk's entity names (EntityName in its controller): a word character first, then word
// characters, '@', '.', '-' (we leave out the inner spaces OpenWhisk allows: they would need
// quoting on every wsk command line), at most 256.
bool is_entity_name(const std::string& name) {
  if (name.empty() || name.size() > 256) return false;
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (!word(name.front())) return false;
  for (char c : name) {
    if (!word(c) && c != '@' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

std::string trigger_problem(const ComputeSpec& spec) {
  if (spec.trigger.empty()) return "trigger must not be empty (leave it out to invoke the action)";
  if (spec.backend != "openwhisk") {
    return "trigger '" + spec.trigger + "' needs \"backend\": \"openwhisk\" (a trigger is an " +
           "OpenWhisk entity; backend is '" + spec.backend + "')";
  }
  if (!is_entity_name(spec.trigger)) {
    return "trigger '" + spec.trigger +
           "' is not an OpenWhisk name (letters, digits, '_' first, then also '@', '.', '-'; at "
           "most 256)";
  }
  return "";
}

void validate_triggers(const Topology& topo, std::vector<std::string>& errors) {
  std::map<std::string, std::pair<std::string, std::string>> action_of;  // trigger -> action, by
  // Buttons and rules' actions (which fire as a button does).
  std::vector<std::pair<const Device*, std::string>> firing;
  for (const auto& d : topo.devices) {
    if (d.kind == DeviceKind::button) firing.emplace_back(&d, "device '" + d.id + "'");
  }
  for (const auto& rule : topo.rules) firing.emplace_back(&rule.action, "rule '" + rule.id + "'");
  for (const auto& [button, name] : firing) {
    const Device& d = *button;
    if (d.compute.trigger.empty()) continue;
    const std::string where = name + ": compute.trigger '" + d.compute.trigger + "'";
    if (topo.routing == Routing::headers) {
      // MQTT 3.1.1 publishes carry no headers: the action could not reach the headers exchange.
      errors.push_back(
          where +
          ": the action publishes its commands over MQTT, which cannot carry the "
          "headers that 'headers' routing matches on; use 'topic' or 'fanout' routing");
    }
    auto [it, fresh] = action_of.emplace(d.compute.trigger, std::pair{d.compute.action, name});
    if (!fresh && it->second.first != d.compute.action) {
      // Both rules would fire on every press of either button.
      errors.push_back(where + ": runs action '" + d.compute.action + "' but " + it->second.second +
                       " fires the same trigger for action '" + it->second.first +
                       "' (one trigger, one action; name another trigger)");
    }
  }
}

}  // namespace snet::detail
