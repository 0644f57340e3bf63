// Rules ("rules": [...]): a reading that meets a condition runs compute as a press does. The
// rule's action is held as a button (Rule::action) so that the routes' checks and resolution,
// and the relayer's press path, are the buttons' own.
#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "topology_internal.hpp"

namespace snet {

const Rule* Topology::find_rule(std::string_view id) const {
  for (const auto& rule : rules) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

std::vector<const Rule*> Topology::rules_using(std::string_view name) const {
  std::vector<const Rule*> out;
  for (const auto& rule : rules) {
    if (rule.action.compute.name() == name) out.push_back(&rule);
  }
  return out;
}

namespace detail {
namespace {

using nlohmann::json;

bool measures(const Device& d, const std::string& reading) {
  return d.sensor && d.sensor->capability == reading;
}

void check_fields(const json& obj, const std::string& where,
                  std::initializer_list<std::string_view> allowed,
                  std::vector<std::string>& errors) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (auto a : allowed) known = known || key == a;
    if (known) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    errors.push_back(where + ": unknown field '" + key + "' (allowed: " + list + ")");
  }
}

// "on": {"device": "thermo-1", "reading": "temperature", "above": 25}
void parse_condition(const json& on, const std::string& where, Rule& rule,
                     std::vector<std::string>& errors) {
  if (!on.is_object()) {
    errors.push_back(where +
                     ": 'on' must be an object like {\"device\": \"thermo-1\", \"reading\": "
                     "\"temperature\", \"above\": 25}");
    return;
  }
  check_fields(on, where + ".on", {"device", "reading", "above", "below"}, errors);
  auto text = [&](const char* key, bool required) -> std::string {
    const auto it = on.find(key);
    if (it == on.end()) {
      if (required) errors.push_back(where + ".on: missing field '" + key + "'");
      return "";
    }
    if (!it->is_string() || it->get<std::string>().empty()) {
      errors.push_back(where + ".on." + key + " must be a non-empty string");
      return "";
    }
    return it->get<std::string>();
  };
  rule.device = text("device", false);
  rule.reading = text("reading", true);
  const bool above = on.contains("above"), below = on.contains("below");
  if (above == below) {
    errors.push_back(where + ".on: give exactly one of 'above' or 'below' (the threshold)");
    return;
  }
  rule.above = above;
  const json& value = on.at(above ? "above" : "below");
  if (!value.is_number() || !std::isfinite(value.get<double>())) {
    errors.push_back(where + ".on." + (above ? "above" : "below") + " must be a finite number");
    return;
  }
  rule.threshold = value.get<double>();
}

}  // namespace

void parse_rules(const json& list, Topology& topo, std::vector<std::string>& errors) {
  if (!list.is_array()) {
    errors.push_back("rules: must be an array of rules");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    std::string where = "rules[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      errors.push_back(where + ": must be an object with 'id', 'on' and targets");
      continue;
    }
    Rule rule;
    if (const auto it = item.find("id"); it == item.end()) {
      errors.push_back(where + ": missing field 'id'");
    } else if (!it->is_string()) {
      errors.push_back(where + ": field 'id' must be a string");
    } else {
      rule.id = it->get<std::string>();
      where += " '" + rule.id + "'";
    }
    check_fields(item, where,
                 {"id", "on", "compute", "targets", "patterns", "groups", "match", "comment"},
                 errors);
    if (const auto it = item.find("on"); it == item.end()) {
      errors.push_back(where + ": missing field 'on' (the reading that fires it)");
    } else {
      parse_condition(*it, where, rule, errors);
    }
    rule.action.id = rule.id;
    rule.action.kind = DeviceKind::button;
    parse_press_fields(item, where, topo, rule.action, errors);
    topo.rules.push_back(std::move(rule));
  }
}

void validate_rules(const Topology& topo, const std::map<std::string, const Device*>& by_id,
                    std::vector<std::string>& errors) {
  std::set<std::string> ids;
  for (const auto& rule : topo.rules) {
    const std::string where = "rule '" + rule.id + "'";
    if (!is_valid_name(rule.id)) {
      // Its id names the PressError topic and the press ids of its firings.
      errors.push_back(where + ": id must be 1-64 letters, digits, '-' or '_'");
    } else if (by_id.count(rule.id) != 0) {
      errors.push_back(where + ": id is also a device's (its errors go to that topic)");
    } else if (!ids.insert(rule.id).second) {
      errors.push_back(where + ": duplicate id");
    }
    if (!rule.reading.empty()) {
      if (rule.device.empty()) {
        const bool any = std::any_of(topo.devices.begin(), topo.devices.end(),
                                     [&](const Device& d) { return measures(d, rule.reading); });
        if (!any) {
          errors.push_back(where + ": no sensor measures '" + rule.reading +
                           "' (on.reading; or name one with on.device)");
        }
      } else if (const auto it = by_id.find(rule.device); it == by_id.end()) {
        errors.push_back(where + ": on.device: unknown device '" + rule.device + "'");
      } else if (!it->second->sensor) {
        errors.push_back(where + ": on.device: '" + rule.device + "' is a " +
                         std::string(to_string(it->second->kind)) +
                         ", not a sensor (only sensors publish readings)");
      } else if (!measures(*it->second, rule.reading)) {
        errors.push_back(where + ": on.reading: sensor '" + rule.device + "' measures '" +
                         it->second->sensor->capability + "', not '" + rule.reading + "'");
      }
    }
    validate_press_routes(topo, by_id, rule.action, where, errors);
  }
}

void resolve_rule_sources(Topology& topo) {
  for (auto& rule : topo.rules) {
    rule.sources.clear();
    for (const auto& d : topo.devices) {
      if (measures(d, rule.reading) && (rule.device.empty() || rule.device == d.id)) {
        rule.sources.push_back(d.id);
      }
    }
  }
}

}  // namespace detail
}  // namespace snet
