#include "scenario.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "snet/json_text.hpp"

namespace snet::experiment {
namespace {

using nlohmann::json;

constexpr double kMaxDurationS = 24 * 3600;
constexpr double kMaxRate = 1'000'000;
constexpr std::string_view kServiceVerbs[] = {"kill",  "restart", "stop",
                                              "start", "pause",   "resume"};
constexpr std::string_view kDeviceVerbs[] = {"offline", "crash", "freeze", "reconnect"};
constexpr std::string_view kStormKinds[] = {"all", "buttons", "actuators"};

template <std::size_t N>
bool one_of(const std::string& text, const std::string_view (&options)[N]) {
  return std::find(std::begin(options), std::end(options), text) != std::end(options);
}

template <std::size_t N>
std::string list(const std::string_view (&options)[N]) {
  std::string out;
  for (auto o : options) out += (out.empty() ? "" : ", ") + std::string(o);
  return out;
}

// Collects errors while walking the document so that one run reports all of them.
class Reader {
 public:
  std::vector<std::string> errors;

  void error(const std::string& where, const std::string& what) {
    errors.push_back(where.empty() ? what : where + ": " + what);
  }

  void check_fields(const json& obj, const std::string& where,
                    std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : obj.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string names;
      for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      error(where, "unknown field '" + key + "' (allowed: " + names + ")");
    }
  }

  std::string string(const json& obj, const std::string& where, const char* key,
                     bool required = false) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) error(where, std::string("missing field '") + key + "'");
      return {};
    }
    if (!it->is_string()) {
      error(where, std::string("'") + key + "' must be a string, not " + it->dump());
      return {};
    }
    return it->get<std::string>();
  }

  std::optional<double> number(const json& obj, const std::string& where, const char* key,
                               double min, double max, bool required = false) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) error(where, std::string("missing field '") + key + "'");
      return std::nullopt;
    }
    if (!it->is_number()) {
      error(where, std::string("'") + key + "' must be a number, not " + it->dump());
      return std::nullopt;
    }
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < min || v > max) {
      error(where, std::string("'") + key + "' is " + it->dump() + ", expected " +
                       json(min).dump() + " to " + json(max).dump());
      return std::nullopt;
    }
    return v;
  }

  std::vector<std::string> strings(const json& value, const std::string& where) {
    std::vector<std::string> out;
    const json items = value.is_array() ? value : json::array({value});
    for (const auto& item : items) {
      if (item.is_string() && !item.get<std::string>().empty()) {
        out.push_back(item.get<std::string>());
      } else {
        error(where, "must be a name or a list of names, not " + item.dump());
      }
    }
    return out;
  }

  // "buttons": "*" | ["button-1", ...] | {"ids": [...], "site": "x", "attrs": {...}}
  ButtonSelector selector(const json& value, const std::string& where) {
    ButtonSelector s;
    if (value.is_string() && value.get<std::string>() == "*") {
      s.all = true;
    } else if (value.is_string() || value.is_array()) {
      s.ids = strings(value, where);
    } else if (value.is_object()) {
      check_fields(value, where, {"ids", "site", "attrs"});
      if (auto it = value.find("ids"); it != value.end()) s.ids = strings(*it, where + ".ids");
      if (auto it = value.find("site"); it != value.end()) s.sites = strings(*it, where + ".site");
      if (auto it = value.find("attrs"); it != value.end()) {
        if (!it->is_object()) error(where, "'attrs' must be an object of strings");
        for (const auto& [k, v] : it->items()) {
          if (v.is_string())
            s.attrs[k] = v.get<std::string>();
          else
            error(where, "attrs." + k + " must be a string");
        }
      }
      if (s.ids.empty() && s.sites.empty() && s.attrs.empty()) {
        error(where, "selects nothing: give ids, site or attrs");
      }
    } else {
      error(where,
            "must be \"*\", a list of button ids, or {\"site\": ..., \"attrs\": {...}}, not " +
                value.dump());
    }
    return s;
  }

  Generator generator(const json& item, const std::string& where) {
    Generator g;
    if (!item.is_object()) {
      error(where,
            "must be an object like {\"buttons\": \"*\", \"pattern\": \"constant\", "
            "\"rate\": 10}");
      return g;
    }
    check_fields(
        item, where,
        {"buttons", "pattern", "rate", "to_rate", "count", "every_s", "from_s", "until_s"});
    if (auto it = item.find("buttons"); it != item.end())
      g.buttons = selector(*it, where + ".buttons");
    else
      error(where, "missing field 'buttons' (\"*\" for every button)");
    const std::string pattern = string(item, where, "pattern", true);
    if (pattern == "constant") {
      g.pattern = Pattern::constant;
    } else if (pattern == "poisson") {
      g.pattern = Pattern::poisson;
    } else if (pattern == "burst") {
      g.pattern = Pattern::burst;
    } else if (pattern == "ramp") {
      g.pattern = Pattern::ramp;
    } else if (!pattern.empty()) {
      error(where, "pattern '" + pattern + "' is not constant, poisson, burst or ramp");
    }
    const bool burst = g.pattern == Pattern::burst;
    g.rate = number(item, where, "rate", 0, kMaxRate, !burst).value_or(0);
    if (g.pattern == Pattern::ramp) {
      g.to_rate = number(item, where, "to_rate", 0, kMaxRate, true).value_or(0);
    }
    if (burst) {
      g.count = static_cast<int>(number(item, where, "count", 1, 1'000'000, true).value_or(0));
      g.every_s = number(item, where, "every_s", 0.001, kMaxDurationS, true).value_or(1);
    }
    g.from_s = number(item, where, "from_s", 0, kMaxDurationS).value_or(0);
    g.until_s = number(item, where, "until_s", 0, kMaxDurationS).value_or(-1);
    if (g.until_s >= 0 && g.until_s <= g.from_s) error(where, "'until_s' must be after 'from_s'");
    return g;
  }

  Action action(const json& item, const std::string& where) {
    Action a;
    if (!item.is_object()) {
      error(where,
            "must be an object like {\"at_s\": 10, \"service\": \"relayer-1\", "
            "\"do\": \"kill\"}");
      return a;
    }
    check_fields(item, where,
                 {"at_s", "until_s", "service", "devices", "storm", "link", "do", "set", "label"});
    a.at_s = number(item, where, "at_s", 0, kMaxDurationS, true).value_or(0);
    a.until_s = number(item, where, "until_s", 0, kMaxDurationS);
    if (a.until_s && *a.until_s <= a.at_s) error(where, "'until_s' must be after 'at_s'");
    a.label = string(item, where, "label");
    int kinds = 0;
    for (const char* k : {"service", "devices", "storm", "link"}) kinds += item.contains(k);
    if (kinds != 1) {
      error(where, "needs exactly one of 'service', 'devices', 'storm' or 'link'");
      return a;
    }
    if (item.contains("service")) {
      a.kind = "service";
      a.targets = {string(item, where, "service")};
      a.verb = string(item, where, "do", true);
      if (!a.verb.empty() && !one_of(a.verb, kServiceVerbs)) {
        error(where, "'do' is '" + a.verb + "', expected one of: " + list(kServiceVerbs));
      }
      if (a.until_s && a.verb != "stop" && a.verb != "pause") {
        error(where, "'until_s' undoes stop and pause only (a kill or restart has no end)");
      }
    } else if (item.contains("devices")) {
      a.kind = "device";
      a.targets = strings(item["devices"], where + ".devices");
      a.verb = string(item, where, "do", true);
      if (!a.verb.empty() && !one_of(a.verb, kDeviceVerbs)) {
        error(where, "'do' is '" + a.verb + "', expected one of: " + list(kDeviceVerbs));
      }
    } else if (item.contains("storm")) {
      a.kind = "storm";
      a.verb = "reconnect";
      a.targets = {string(item, where, "storm")};
      if (!one_of(a.targets.front(), kStormKinds)) {
        error(where, "'storm' is '" + a.targets.front() + "', expected " + list(kStormKinds));
      }
    } else {
      a.kind = "link";
      a.verb = "set";
      a.targets = {string(item, where, "link")};
      if (auto it = item.find("set"); it != item.end()) {
        a.link = parse_link_spec(*it, where + ".set", errors);
      } else {
        error(where, "missing field 'set' (link properties, e.g. {\"up\": false})");
      }
    }
    if (a.label.empty()) {
      a.label = a.kind == "link" ? "link " + a.targets.front() + " " + a.link.to_json().dump()
                                 : a.verb + " " + (a.targets.empty() ? "" : a.targets.front());
    }
    return a;
  }

  Expectations expectations(const json& item) {
    Expectations e;
    if (!item.is_object()) {
      error("expect", "must be an object like {\"lost\": 0, \"p99_ms\": 50}");
      return e;
    }
    check_fields(item, "expect",
                 {"lost", "duplicated", "p50_ms", "p99_ms", "recovery_ms", "min_applied_pct"});
    if (auto v = number(item, "expect", "lost", 0, 1e12)) e.lost = static_cast<std::int64_t>(*v);
    if (auto v = number(item, "expect", "duplicated", 0, 1e12))
      e.duplicated = static_cast<std::int64_t>(*v);
    e.p50_ms = number(item, "expect", "p50_ms", 0, 1e9);
    e.p99_ms = number(item, "expect", "p99_ms", 0, 1e9);
    e.recovery_ms = number(item, "expect", "recovery_ms", 0, 1e9);
    e.min_applied_pct = number(item, "expect", "min_applied_pct", 0, 100);
    return e;
  }
};

std::string join_lines(const std::vector<std::string>& errors) {
  std::string text = "invalid scenario:";
  for (const auto& e : errors) text += "\n  - " + e;
  return text;
}

}  // namespace

std::string_view to_string(Pattern p) {
  switch (p) {
    case Pattern::constant:
      return "constant";
    case Pattern::poisson:
      return "poisson";
    case Pattern::burst:
      return "burst";
    case Pattern::ramp:
      return "ramp";
  }
  return "?";
}

ScenarioError::ScenarioError(std::vector<std::string> errs)
    : std::runtime_error(join_lines(errs)), errors(std::move(errs)) {}

Scenario parse_scenario(const nlohmann::json& doc) {
  if (!doc.is_object()) throw ScenarioError({"the scenario must be a JSON object"});
  Reader in;
  Scenario s;
  in.check_fields(doc, "",
                  {"name", "description", "comment", "topology", "duration_s", "seed", "up",
                   "workload", "timeline", "expect"});
  s.name = in.string(doc, "", "name", true);
  s.description = in.string(doc, "", "description");
  s.topology = in.string(doc, "", "topology", true);
  s.duration_s = in.number(doc, "", "duration_s", 1, kMaxDurationS, true).value_or(60);
  if (auto it = doc.find("seed"); it != doc.end()) {
    if (it->is_number_unsigned())
      s.seed = it->get<std::uint64_t>();
    else
      in.error("", "'seed' must be a whole number >= 0, not " + it->dump());
  }
  if (auto it = doc.find("up"); it != doc.end()) {
    if (!it->is_object()) in.error("up", "must be an object of `snet up` flags");
    for (const auto& [flag, value] : it->items()) {
      if (value.is_string())
        s.up_flags[flag] = value.get<std::string>();
      else if (value.is_number() || value.is_boolean())
        s.up_flags[flag] = value.dump();
      else
        in.error("up." + flag, "must be a string, number or true/false");
    }
  }
  if (auto it = doc.find("workload"); it != doc.end()) {
    if (!it->is_array()) in.error("workload", "must be a list of press generators");
    for (std::size_t i = 0; it->is_array() && i < it->size(); ++i) {
      s.workload.push_back(in.generator((*it)[i], "workload[" + std::to_string(i) + "]"));
    }
  }
  if (auto it = doc.find("timeline"); it != doc.end()) {
    if (!it->is_array()) in.error("timeline", "must be a list of actions");
    for (std::size_t i = 0; it->is_array() && i < it->size(); ++i) {
      s.timeline.push_back(in.action((*it)[i], "timeline[" + std::to_string(i) + "]"));
    }
  }
  std::stable_sort(s.timeline.begin(), s.timeline.end(),
                   [](const Action& a, const Action& b) { return a.at_s < b.at_s; });
  if (auto it = doc.find("expect"); it != doc.end()) s.expect = in.expectations(*it);
  if (!in.errors.empty()) throw ScenarioError(std::move(in.errors));
  return s;
}

Scenario load_scenario(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw ScenarioError({path + ": cannot open the file"});
  std::stringstream buffer;
  buffer << file.rdbuf();
  json doc;
  try {
    doc = parse_json_text(buffer.str());
  } catch (const JsonSyntaxError& e) {
    throw ScenarioError({path + ": " + e.what()});
  }
  try {
    return parse_scenario(doc);
  } catch (ScenarioError& e) {
    std::vector<std::string> errors;
    for (auto& line : e.errors) errors.push_back(path + ": " + line);
    throw ScenarioError(std::move(errors));
  }
}

std::vector<std::string> select_buttons(const ButtonSelector& selector, const Topology& topology) {
  std::vector<std::string> out;
  for (const Device* b : topology.buttons()) {
    bool ok = true;
    if (!selector.all) {
      if (!selector.ids.empty())
        ok = ok && std::find(selector.ids.begin(), selector.ids.end(), b->id) != selector.ids.end();
      if (!selector.sites.empty()) {
        // A button in a child site is in the parent site too.
        bool inside = false;
        for (const auto& link : topology.link_path(*b)) {
          inside = inside || std::find(selector.sites.begin(), selector.sites.end(), link) !=
                                 selector.sites.end();
        }
        ok = ok && inside;
      }
      for (const auto& [key, value] : selector.attrs) {
        auto it = b->attrs.find(key);
        ok = ok && it != b->attrs.end() && it->second == value;
      }
    }
    if (ok) out.push_back(b->id);
  }
  return out;
}

std::vector<std::string> validate(const Scenario& s, const Topology& topology) {
  std::vector<std::string> errors;
  for (std::size_t i = 0; i < s.workload.size(); ++i) {
    const std::string where = "workload[" + std::to_string(i) + "]";
    const Generator& g = s.workload[i];
    for (const auto& id : g.buttons.ids) {
      const Device* d = topology.find(id);
      if (d == nullptr || d->kind != DeviceKind::button) {
        errors.push_back(where + ": '" + id + "' is not a button of topology '" + topology.name +
                         "'");
      }
    }
    for (const auto& site : g.buttons.sites) {
      if (topology.find_site(site) == nullptr) {
        errors.push_back(where + ": '" + site + "' is not a site of topology '" + topology.name +
                         "'");
      }
    }
    if (select_buttons(g.buttons, topology).empty()) {
      errors.push_back(where + ": selects no button of topology '" + topology.name + "'");
    }
    if (g.from_s >= s.duration_s) errors.push_back(where + ": starts after the scenario's end");
  }
  for (std::size_t i = 0; i < s.timeline.size(); ++i) {
    const Action& a = s.timeline[i];
    const std::string where =
        "timeline (at_s " + nlohmann::json(a.at_s).dump() + ", " + a.label + ")";
    if (a.at_s >= s.duration_s) errors.push_back(where + ": after the scenario's end");
    if (a.until_s && *a.until_s > s.duration_s) {
      errors.push_back(where + ": 'until_s' after the scenario's end");
    }
    if (a.kind == "device") {
      for (const auto& id : a.targets) {
        if (topology.find(id) == nullptr) {
          errors.push_back(where + ": '" + id + "' is not a device of topology '" + topology.name +
                           "'");
        }
      }
    } else if (a.kind == "link") {
      if (!topology.emulates_network()) {
        errors.push_back(where + ": topology '" + topology.name +
                         "' emulates no network (give it sites or links)");
      } else if (topology.links().count(a.targets.front()) == 0) {
        errors.push_back(where + ": '" + a.targets.front() + "' is not a site or device of '" +
                         topology.name + "'");
      }
    }
  }
  return errors;
}

}  // namespace snet::experiment
