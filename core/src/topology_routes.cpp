// Routes: what a button's press commands in each routing mode, checked (every error says what to
// change) and resolved to the actuators each route reaches.
#include <algorithm>
#include <functional>
#include <set>

#include "snet/routing.hpp"
#include "snet/topics.hpp"
#include "topology_internal.hpp"

namespace snet {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "'" : ", '") + item + "'";
  return out.empty() ? "none" : out;
}

bool reserved_header(std::string_view name) {
  return name.rfind("x-", 0) == 0 || name.rfind("snet-", 0) == 0;
}

// The key of an actuator shown as an example in an error ("1/lamp"), or "" when there is none.
std::string example_key(const Topology& topo) {
  for (const auto& d : topo.devices) {
    if (d.kind == DeviceKind::actuator) return join(topo.key_of(d), "/");
  }
  return "";
}

class RouteChecker {
 public:
  RouteChecker(const Topology& topo, const std::map<std::string, const Device*>& by_id,
               std::vector<std::string>& errors)
      : topo_(topo), by_id_(by_id), errors_(errors) {}

  void run() {
    check_topic_key();
    check_groups();
    for (const auto& d : topo_.devices) {
      switch (d.kind) {
        case DeviceKind::actuator:
          check_actuator(d);
          break;
        case DeviceKind::button:
          check_button(d);
          break;
        case DeviceKind::sensor:
          check_sensor(d);
          break;
      }
    }
  }

  // A rule's action is checked as a button, under the rule's name.
  void check_press(const Device& d, const std::string& where) { check_button(d, where); }

 private:
  void add(const std::string& where, const std::string& what) {
    errors_.push_back(where + ": " + what);
  }

  std::string mode() const { return std::string(to_string(topo_.routing)); }

  void check_topic_key() {
    if (topo_.topic_key.empty()) return;
    if (topo_.routing != Routing::topic) {
      add("topic_key", "only topic routing uses a topic key (this topology routes by " + mode() +
                           "); remove it or set \"routing\": \"topic\"");
    }
    std::set<std::string> seen;
    for (const auto& attr : topo_.topic_key) {
      if (!is_valid_name(attr)) add("topic_key", "'" + attr + "' is not a valid attr name");
      if (!seen.insert(attr).second) add("topic_key", "'" + attr + "' is listed twice");
    }
  }

  void check_groups() {
    if (topo_.groups.empty()) return;
    if (topo_.routing != Routing::fanout) {
      add("groups", "only fanout routing uses groups (this topology routes by " + mode() +
                        "); set \"routing\": \"fanout\" or remove them");
    }
    for (const auto& [name, members] : topo_.groups) {
      const std::string where = "group '" + name + "'";
      if (!is_valid_name(name)) add(where, "name must be 1-64 letters, digits, '-' or '_'");
      if (members.empty()) {
        add(where,
            "has no members; list at least one actuator id, e.g. \"" + name + "\": [\"lamp-1\"]");
      }
      std::set<std::string> seen;
      for (const auto& id : members) {
        auto it = by_id_.find(id);
        if (it == by_id_.end()) {
          add(where, "unknown member '" + id + "'");
        } else if (it->second->kind != DeviceKind::actuator) {
          add(where, "member '" + id + "' is a " + std::string(to_string(it->second->kind)) +
                         "; only actuators receive commands");
        } else if (!seen.insert(id).second) {
          add(where, "member '" + id + "' is listed twice");
        }
      }
    }
  }

  // A sensor only publishes readings: nothing routes to or from it.
  void check_sensor(const Device& d) {
    const std::string where = "device '" + d.id + "'";
    if (!d.exact_targets.empty()) add(where, "a sensor cannot have targets (only buttons do)");
    if (!d.patterns.empty()) add(where, "a sensor cannot have 'patterns' (only buttons do)");
    if (!d.groups.empty()) add(where, "a sensor cannot have 'groups' (only buttons do)");
    if (!d.matches.empty()) add(where, "a sensor cannot have a 'match' (only buttons do)");
  }

  void check_actuator(const Device& d) {
    const std::string where = "device '" + d.id + "'";
    if (!d.exact_targets.empty()) add(where, "an actuator cannot have targets");
    if (!d.patterns.empty()) add(where, "an actuator cannot have 'patterns' (only buttons do)");
    if (!d.groups.empty()) {
      add(where, "an actuator cannot have 'groups'; list it in the topology's \"groups\" instead");
    }
    if (!d.matches.empty()) add(where, "an actuator cannot have a 'match' (only buttons do)");
    if (!topo_.topic_key.empty()) {
      for (const auto& attr : topo_.topic_key) {
        auto it = d.attrs.find(attr);
        if (it == d.attrs.end()) {
          add(where, "attrs." + attr + " is missing; the topic_key (" + join(topo_.topic_key, "/") +
                         ") needs it on every actuator");
        } else if (!is_valid_name(it->second) || it->second == routing::kWildcardLevel) {
          add(where, "attrs." + attr + " '" + it->second +
                         "' cannot be a topic-key level (1-64 letters, digits, '-' or '_', not "
                         "'_' alone)");
        }
      }
    }
    if (topo_.routing == Routing::headers) {
      if (d.protocol == Protocol::mqtt) {
        add(where,
            "an MQTT actuator cannot receive headers-routed commands (RabbitMQ's MQTT "
            "plugin binds only to amq.topic); set \"protocol\": \"amqp\" or use "
            "\"routing\": \"topic\"");
      }
      for (const auto& [key, value] : d.attrs) check_header_name(where, "attrs." + key, key);
    }
  }

  void check_header_name(const std::string& where, const std::string& field,
                         const std::string& key) {
    if (!is_valid_name(key)) {
      add(where, field + ": a header name must be 1-64 letters, digits, '-' or '_'");
    } else if (reserved_header(key)) {
      add(where, field + ": names starting with 'x-' or 'snet-' are reserved in headers routing");
    }
  }

  // A field of another routing mode on a button.
  void wrong_mode(const std::string& where, bool present, const std::string& field,
                  const std::string& its_mode) {
    if (!present) return;
    add(where, "'" + field + "' is for \"routing\": \"" + its_mode +
                   "\", but this topology routes by " + mode() + hint());
  }

  std::string hint() const {
    switch (topo_.routing) {
      case Routing::topic:
        return "; use \"targets\" (actuator ids) or \"patterns\"";
      case Routing::fanout:
        return "; use \"groups\" (\"pairs\" make exact targets: topic only)";
      case Routing::headers:
        return "; use \"match\" (\"pairs\" make exact targets: topic only)";
    }
    return "";
  }

  void check_button(const Device& d) { check_button(d, "device '" + d.id + "'"); }

  void check_button(const Device& d, const std::string& where) {
    const bool topic = topo_.routing == Routing::topic;
    const bool fanout = topo_.routing == Routing::fanout;
    const bool headers = topo_.routing == Routing::headers;
    wrong_mode(where, !topic && !d.exact_targets.empty(), "targets", "topic");
    wrong_mode(where, !topic && !d.patterns.empty(), "patterns", "topic");
    wrong_mode(where, !fanout && !d.groups.empty(), "groups", "fanout");
    wrong_mode(where, !headers && !d.matches.empty(), "match", "headers");
    if (topic && d.exact_targets.empty() && d.patterns.empty()) {
      add(where, "button without target (add \"targets\": [\"<actuator id>\"] or \"patterns\")");
    }
    if (fanout && d.groups.empty()) {
      add(where, "button without group (add \"groups\": [\"<group name>\"])");
    }
    if (headers && d.matches.empty()) {
      add(where,
          "button without match (add \"match\": {\"x-match\": \"all\", \"<attr>\": "
          "\"<value>\"})");
    }
    check_exact_targets(where, d);
    check_patterns(where, d);
    check_button_groups(where, d);
    check_matches(where, d);
  }

  void check_exact_targets(const std::string& where, const Device& d) {
    std::set<std::string> seen;
    for (const auto& t : d.exact_targets) {
      auto it = by_id_.find(t);
      if (it == by_id_.end()) {
        add(where, "unknown target '" + t + "'");
      } else if (it->second->kind != DeviceKind::actuator) {
        add(where, "target '" + t + "' is a " + std::string(to_string(it->second->kind)) +
                       ", not an actuator");
      } else if (!seen.insert(t).second) {
        add(where, "target '" + t + "' is listed twice");
      }
    }
  }

  void check_patterns(const std::string& where, const Device& d) {
    if (d.patterns.empty()) return;
    if (topo_.topic_key.empty()) {
      add(where,
          "'patterns' need a \"topic_key\": the attrs that make each actuator's key, "
          "e.g. \"topic_key\": [\"floor\", \"type\"]");
      return;
    }
    std::set<std::string> seen;
    for (const auto& pattern : d.patterns) {
      if (!seen.insert(pattern).second) add(where, "pattern '" + pattern + "' is listed twice");
      std::string problem;
      const auto levels = pattern_levels(pattern, topo_.topic_key.size(), &problem);
      if (!problem.empty()) {
        add(where, "pattern '" + pattern + "': " + problem);
        continue;
      }
      const bool any =
          std::any_of(topo_.devices.begin(), topo_.devices.end(), [&](const Device& a) {
            return a.kind == DeviceKind::actuator && pattern_selects(levels, topo_.key_of(a));
          });
      if (!any) {
        add(where, "pattern '" + pattern + "' matches no actuator (keys are " +
                       join(topo_.topic_key, "/") + ", e.g. '" + example_key(topo_) + "')");
      }
    }
  }

  void check_button_groups(const std::string& where, const Device& d) {
    std::set<std::string> seen;
    for (const auto& group : d.groups) {
      if (topo_.groups.count(group) == 0) {
        std::vector<std::string> names;
        for (const auto& [name, members] : topo_.groups) names.push_back(name);
        add(where, "unknown group '" + group +
                       "' (the topology's \"groups\": " + quoted_list(names) + ")");
      } else if (!seen.insert(group).second) {
        add(where, "group '" + group + "' is listed twice");
      }
    }
  }

  void check_matches(const std::string& where, const Device& d) {
    std::set<std::string> seen;
    for (const auto& match : d.matches) {
      if (match.attrs.empty()) {
        add(where, "a match needs at least one attr besides x-match, e.g. {\"type\": \"lamp\"}");
        continue;
      }
      for (const auto& [key, value] : match.attrs) check_header_name(where, "match." + key, key);
      if (!seen.insert(match.text()).second) {
        add(where, "match " + match.text() + " is listed twice");
      }
      const bool any =
          std::any_of(topo_.devices.begin(), topo_.devices.end(), [&](const Device& a) {
            return a.kind == DeviceKind::actuator && match.matches(a.attrs);
          });
      if (!any) add(where, "match " + match.text() + " matches no actuator's attrs");
    }
  }

  const Topology& topo_;
  const std::map<std::string, const Device*>& by_id_;
  std::vector<std::string>& errors_;
};

void add_members(Route& route, const Topology& topo, const std::function<bool(const Device&)>& in) {
  for (const auto& d : topo.devices) {
    if (d.kind == DeviceKind::actuator && in(d)) route.members.push_back(d.id);
  }
}

}  // namespace

std::string HeaderMatch::text() const {
  std::string out = all ? "all(" : "any(";
  bool first = true;
  for (const auto& [key, value] : attrs) {
    out += (first ? "" : ",") + key + "=" + value;
    first = false;
  }
  return out + ")";
}

bool HeaderMatch::matches(const std::map<std::string, std::string>& actuator_attrs) const {
  if (attrs.empty()) return false;
  const auto equal = [&](const auto& pair) {
    auto it = actuator_attrs.find(pair.first);
    return it != actuator_attrs.end() && it->second == pair.second;
  };
  return all ? std::all_of(attrs.begin(), attrs.end(), equal)
             : std::any_of(attrs.begin(), attrs.end(), equal);
}

std::vector<std::string> pattern_levels(std::string_view pattern, std::size_t key_size,
                                        std::string* error) {
  std::vector<std::string> levels;
  const auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = why;
    return std::vector<std::string>{};
  };
  if (pattern.empty()) return fail("a pattern must not be empty");
  std::size_t start = 0;
  bool rest = false;  // '#' seen
  while (start <= pattern.size()) {
    const auto end = pattern.find('/', start);
    const std::string level(
        pattern.substr(start, end == std::string_view::npos ? end : end - start));
    if (rest) return fail("'#' must be the last level");
    if (level == topics::kAllLevels) {
      rest = true;
    } else if (level == topics::kAnyLevel) {
      levels.push_back(level);
    } else if (!is_valid_name(level) || level == routing::kWildcardLevel) {
      return fail("level '" + level +
                  "' must be '+', '#' or a key value (letters, digits, '-', "
                  "'_')");
    } else {
      levels.push_back(level);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (levels.size() > key_size || (!rest && levels.size() != key_size)) {
    return fail("has " + std::to_string(levels.size()) + " levels but the topic key has " +
                std::to_string(key_size) + " (use '+' for any value, or end with '#')");
  }
  levels.resize(key_size,
                std::string(topics::kAnyLevel));  // '#': every remaining level is a wildcard
  if (error != nullptr) error->clear();
  return levels;
}

bool pattern_selects(const std::vector<std::string>& levels, const std::vector<std::string>& key) {
  if (levels.size() != key.size()) return false;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i] != topics::kAnyLevel && levels[i] != key[i]) return false;
  }
  return true;
}

namespace detail {

void validate_routes(const Topology& topo, const std::map<std::string, const Device*>& by_id,
                     std::vector<std::string>& errors) {
  RouteChecker(topo, by_id, errors).run();
}

void validate_press_routes(const Topology& topo, const std::map<std::string, const Device*>& by_id,
                           const Device& button, const std::string& where,
                           std::vector<std::string>& errors) {
  RouteChecker(topo, by_id, errors).check_press(button, where);
}

void resolve_button_routes(const Topology& topo, Device& d) {
  d.routes.clear();
  for (const auto& id : d.exact_targets) {
    const Device* target = topo.find(id);
    if (target == nullptr || target->kind != DeviceKind::actuator) continue;
    d.routes.push_back(Route{RouteKind::actuator, id, id, {}, {}, {id}});
  }
  for (const auto& pattern : d.patterns) {
    Route route{RouteKind::pattern, "pattern:" + pattern, pattern, {}, {}, {}};
    route.levels = pattern_levels(pattern, topo.topic_key.size(), nullptr);
    if (route.levels.empty()) continue;
    add_members(route, topo,
                [&](const Device& a) { return pattern_selects(route.levels, topo.key_of(a)); });
    d.routes.push_back(std::move(route));
  }
  for (const auto& group : d.groups) {
    auto it = topo.groups.find(group);
    if (it == topo.groups.end()) continue;
    Route route{RouteKind::group, "group:" + group, group, {}, {}, {}};
    const std::set<std::string> members(it->second.begin(), it->second.end());
    add_members(route, topo, [&](const Device& a) { return members.count(a.id) != 0; });
    d.routes.push_back(std::move(route));
  }
  for (const auto& match : d.matches) {
    Route route{RouteKind::match, "match:" + match.text(), match.text(), {}, match, {}};
    add_members(route, topo, [&](const Device& a) { return match.matches(a.attrs); });
    d.routes.push_back(std::move(route));
  }
  d.targets.clear();
  std::set<std::string> seen;
  for (const auto& route : d.routes) {
    for (const auto& member : route.members) {
      if (seen.insert(member).second) d.targets.push_back(member);
    }
  }
}

void resolve_routes(Topology& topo) {
  for (auto& d : topo.devices) {
    if (d.kind == DeviceKind::button) resolve_button_routes(topo, d);
  }
  for (auto& rule : topo.rules) resolve_button_routes(topo, rule.action);
}

}  // namespace detail
}  // namespace snet
