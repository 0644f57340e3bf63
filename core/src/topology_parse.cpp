// The topology file's reader: JSON in, a Topology (core/include/snet/topology.hpp) out, with
// every problem reported at once, each with its JSON path. The model itself (lookups, the
// invariants validate() checks) is in topology.cpp.
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "snet/json_text.hpp"
#include "snet/link.hpp"
#include "snet/sensor_model.hpp"
#include "snet/topology.hpp"
#include "topology_internal.hpp"

namespace snet {

namespace {

using nlohmann::json;

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
      bool known = false;
      for (auto a : allowed) known = known || key == a;
      if (!known) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        error(where, "unknown field '" + key + "' (allowed: " + list + ")");
      }
    }
  }

  std::string string(const json& obj, const std::string& where, const char* key,
                     const std::string& fallback, bool required = false) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) error(where, std::string("missing field '") + key + "'");
      return fallback;
    }
    if (!it->is_string()) {
      error(where, std::string("field '") + key + "' must be a string");
      return fallback;
    }
    return it->get<std::string>();
  }

  // `more`: a further accepted word the caller handles itself, named in the error.
  template <typename Enum, std::size_t N>
  Enum choice(const json& obj, const std::string& where, const char* key, Enum fallback,
              const std::pair<std::string_view, Enum> (&options)[N], std::string_view more = {}) {
    const std::string text = string(obj, where, key, "");
    if (text.empty()) return fallback;
    std::string list;
    for (const auto& [name, value] : options) {
      if (text == name) return value;
      list += (list.empty() ? "" : ", ") + std::string(name);
    }
    if (!more.empty()) list += ", " + std::string(more);
    error(where, std::string("field '") + key + "' is '" + text + "', expected one of: " + list);
    return fallback;
  }

  // An array of strings, e.g. "targets": ["lamp-1"]; `what` names one element in errors.
  std::vector<std::string> strings(const json& obj, const std::string& where, const char* key,
                                   const char* what) {
    std::vector<std::string> out;
    auto it = obj.find(key);
    if (it == obj.end()) return out;
    if (!it->is_array()) {
      error(where, std::string("'") + key + "' must be an array of " + what + "s");
      return out;
    }
    for (const auto& item : *it) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      } else {
        error(where, std::string("every entry of '") + key + "' must be a string (" + what + ")");
      }
    }
    return out;
  }

  // "match": {"x-match": "all", "type": "lamp"}  or a list of such objects.
  std::vector<HeaderMatch> matches(const json& value, const std::string& where) {
    std::vector<HeaderMatch> out;
    const json list = value.is_array() ? value : json::array({value});
    for (const auto& item : list) {
      if (!item.is_object()) {
        error(where,
              "'match' must be an object like {\"x-match\": \"all\", \"type\": \"lamp\"} "
              "or a list of them");
        continue;
      }
      HeaderMatch match;
      for (const auto& [key, v] : item.items()) {
        if (!v.is_string()) {
          error(where, "match." + key + " must be a string");
        } else if (key == "x-match") {
          const auto mode = v.get<std::string>();
          if (mode != "all" && mode != "any") {
            error(where, "match.x-match is '" + mode + "', expected all or any");
          }
          match.all = mode != "any";
        } else {
          match.attrs[key] = v.get<std::string>();
        }
      }
      out.push_back(std::move(match));
    }
    return out;
  }

  // A button's fields not given fall back to the topology's compute; `use` too, unless the
  // button names a backend of its own.
  ComputeSpec compute(const json& obj, const std::string& where, const ComputeSpec& fallback,
                      const std::vector<ComputeInstance>& computes) {
    if (!obj.is_object()) {
      error(where,
            "'compute' must be an object like {\"backend\": \"builtin\", \"action\": "
            "\"flip_switch\"} or {\"use\": \"cloud\", \"action\": \"flip_switch\"}");
      return fallback;
    }
    check_fields(obj, where + ".compute", {"use", "backend", "action", "trigger"});
    ComputeSpec spec;
    const bool backend_given = obj.contains("backend");
    spec.use = string(obj, where + ".compute", "use", backend_given ? "" : fallback.use);
    spec.backend = string(obj, where + ".compute", "backend", fallback.backend);
    detail::resolve_compute_use(spec, backend_given, computes, where + ".compute", errors);
    spec.action = string(obj, where + ".compute", "action", fallback.action);
    // A button's own compute names its whole mode: the topology's trigger is inherited only
    // along with the topology's backend and action.
    const bool inherits =
        !obj.contains("use") && !obj.contains("backend") && !obj.contains("action");
    spec.trigger = string(obj, where + ".compute", "trigger", inherits ? fallback.trigger : "");
    // Which backends exist is the relayer's to say (relayer/include/relayer/backend_names.hpp);
    // here only the shape.
    if (!is_valid_name(spec.backend)) {
      error(where + ".compute",
            "backend '" + spec.backend + "' must be 1-64 letters, digits, '-' or '_'");
    }
    if (spec.action.empty()) error(where + ".compute", "action must not be empty");
    if (obj.contains("trigger")) {
      if (const auto problem = detail::trigger_problem(spec); !problem.empty()) {
        error(where + ".compute", problem);
      }
    }
    return spec;
  }
};

constexpr std::pair<std::string_view, DeviceKind> kKinds[] = {{"button", DeviceKind::button},
                                                              {"actuator", DeviceKind::actuator},
                                                              {"sensor", DeviceKind::sensor}};
constexpr std::pair<std::string_view, BrokerKind> kBrokers[] = {
    {"mosquitto", BrokerKind::mosquitto}, {"rabbitmq", BrokerKind::rabbitmq}};
constexpr std::pair<std::string_view, Routing> kRoutings[] = {
    {"topic", Routing::topic}, {"fanout", Routing::fanout}, {"headers", Routing::headers}};
constexpr std::pair<std::string_view, Protocol> kProtocols[] = {{"mqtt", Protocol::mqtt},
                                                                {"amqp", Protocol::amqp}};

constexpr std::string_view kExternal = "external";
// The kinds besides kKinds, as an error lists them.
constexpr std::string_view kMoreKinds = "external, thermostat, smart_plug, motion_light";

// "kind": "external", "plays": "actuator", "command": ["python3", "lamp.py"], "image": "..."
void read_external(Reader& in, const json& item, const std::string& where, Device& dev) {
  dev.external = true;
  if (!item.contains("plays")) {
    in.error(where, "missing field 'plays' (the role the external device plays)");
  }
  dev.kind = in.choice(item, where, "plays", DeviceKind::actuator, kKinds);
  if (auto it = item.find("command"); it != item.end()) {
    dev.command = in.strings(item, where, "command", "argument");
    if (it->is_array() && it->empty()) {
      in.error(where, "'command' must name a program: [\"program\", \"arg\", ...]");
    } else if (!dev.command.empty() && dev.command.front().empty()) {
      in.error(where, "'command' must not start with an empty program name");
    }
  }
  dev.image = in.string(item, where, "image", "");
  if (item.contains("image") && dev.image.empty()) {
    in.error(where, "'image' must name a container image");
  }
}

// What a press does: the routing fields and the compute (a button's, or a rule's action).
void read_press_fields(Reader& in, const json& item, const std::string& where, const Topology& topo,
                       Device& dev) {
  dev.exact_targets = in.strings(item, where, "targets", "actuator id");
  dev.patterns = in.strings(item, where, "patterns", "topic-key pattern");
  dev.groups = in.strings(item, where, "groups", "group name");
  if (auto it = item.find("match"); it != item.end()) dev.matches = in.matches(*it, where);
  dev.compute = topo.compute;
  if (auto it = item.find("compute"); it != item.end()) {
    dev.compute = in.compute(*it, where, topo.compute, topo.computes);
  }
}

// The composite parameters of `obj` (a device or a "pairs" object) whose kind is `preset`: the
// object named as the kind; any other kind's object is an error.
std::optional<CompositeSpec> read_composite(Reader& in, const json& obj, const std::string& where,
                                            std::optional<CompositeKind> preset,
                                            const std::string& id) {
  std::optional<CompositeSpec> out;
  for (auto each :
       {CompositeKind::thermostat, CompositeKind::smart_plug, CompositeKind::motion_light}) {
    const std::string name(to_string(each));
    auto it = obj.find(name);
    if (preset == each) {
      out = detail::parse_composite(each, it == obj.end() ? nullptr : &*it, where, id, in.errors);
    } else if (it != obj.end()) {
      in.error(where, "'" + name + "' parameters are only for \"kind\": \"" + name + "\"");
    }
  }
  return out;
}

void read_devices(Reader& in, const json& list, Topology& topo) {
  if (!list.is_array()) {
    in.error("devices", "must be an array of devices");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    std::string where = "devices[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      in.error(where, "must be an object with 'id' and 'kind'");
      continue;
    }
    Device dev;
    dev.id = in.string(item, where, "id", "", true);
    if (!dev.id.empty()) where += " '" + dev.id + "'";
    in.check_fields(item, where,
                    {"id", "kind", "targets", "patterns", "groups", "match", "protocol", "attrs",
                     "compute", "site", "link", "sensor", "plays", "command", "image", "thermostat",
                     "smart_plug", "motion_light"});
    const std::string kind = in.string(item, where, "kind", "", true);  // reports a missing kind
    const auto preset = composite_kind_of(kind);
    if (kind == kExternal) {
      read_external(in, item, where, dev);
    } else {
      // A composite device is an actuator to routing; its preset adds the rest.
      dev.kind = preset ? DeviceKind::actuator
                        : in.choice(item, where, "kind", DeviceKind::actuator, kKinds, kMoreKinds);
      for (const char* field : {"plays", "command", "image"}) {
        if (item.contains(field)) {
          in.error(where, std::string("'") + field + "' is only for \"kind\": \"external\"");
        }
      }
    }
    const Protocol native = topo.broker == BrokerKind::rabbitmq ? Protocol::amqp : Protocol::mqtt;
    // An external device speaks MQTT unless it says otherwise: most programs have an MQTT
    // client at hand (on RabbitMQ it then uses the MQTT plugin).
    dev.protocol =
        in.choice(item, where, "protocol", dev.external ? Protocol::mqtt : native, kProtocols);
    if (auto it = item.find("attrs"); it != item.end()) {
      if (!it->is_object()) {
        in.error(where, "'attrs' must be an object of strings");
      } else {
        for (const auto& [key, value] : it->items()) {
          if (!value.is_string()) {
            in.error(where, "attrs." + key + " must be a string");
            continue;
          }
          dev.attrs[key] = value.get<std::string>();
        }
      }
    }
    read_press_fields(in, item, where, topo, dev);
    dev.site = in.string(item, where, "site", "");
    if (auto it = item.find("link"); it != item.end()) {
      dev.link = parse_link_spec(*it, where + ".link", in.errors);
    }
    if (auto it = item.find("sensor"); it != item.end()) {
      if (dev.kind == DeviceKind::sensor) {
        dev.sensor = detail::parse_sensor(*it, where, dev.id, in.errors);
      } else {
        in.error(where, "only a sensor has a 'sensor' object (its kind is " +
                            std::string(to_string(dev.kind)) + ")");
      }
    } else if (dev.kind == DeviceKind::sensor) {
      in.error(where,
               "a sensor needs a 'sensor' object, e.g. {\"capability\": \"temperature\", "
               "\"unit\": \"C\", \"rate_hz\": 1, \"model\": {\"type\": \"constant\", "
               "\"value\": 21}}");
    }
    dev.composite = read_composite(in, item, where, preset, dev.id);
    topo.devices.push_back(std::move(dev));
  }
}

// "groups": {"hall": ["lamp-1", "lamp-2"], ...}
void read_groups(Reader& in, const json& spec, Topology& topo) {
  if (!spec.is_object()) {
    in.error("groups",
             "must be an object of group name -> member actuator ids, e.g. "
             "{\"hall\": [\"lamp-1\", \"lamp-2\"]}");
    return;
  }
  for (const auto& [name, members] : spec.items()) {
    topo.groups[name] = in.strings(spec, "groups." + name, name.c_str(), "actuator id");
  }
}

// "pairs": 3  or  "pairs": {"count": 3, "button": "button-", "actuator": "actuator-", "start": 1,
// "site": "farm", "kind": "smart_plug", "smart_plug": {...}}  or a list of such objects (e.g. one
// per building). "kind" makes the actuators composite devices (default: plain actuators).
// `generated`: pairs made so far by earlier specs; all specs together make at most kMaxPairs.
void read_pair_spec(Reader& in, const json& spec, const std::string& where, Topology& topo,
                    long& generated) {
  std::string button_prefix = "button-", actuator_prefix = "actuator-", site;
  Protocol protocol = topo.broker == BrokerKind::rabbitmq ? Protocol::amqp : Protocol::mqtt;
  std::optional<CompositeSpec> composite;  // the first actuator's; the others differ in seed
  bool seed_given = false;
  if (!spec.is_number_integer() && !spec.is_object()) {
    in.error(where, "must be a number or an object with 'count'");
    return;
  }
  if (spec.is_object()) {
    in.check_fields(spec, where,
                    {"count", "button", "actuator", "start", "protocol", "site", "kind",
                     "thermostat", "smart_plug", "motion_light"});
    site = in.string(spec, where, "site", "");
    const std::string kind = in.string(spec, where, "kind", "actuator");
    const auto preset = composite_kind_of(kind);
    if (kind != "actuator" && !preset) {
      in.error(where, "'kind' is '" + kind +
                          "', expected one of: actuator, thermostat, smart_plug, motion_light");
    }
    const std::size_t before = in.errors.size();
    // Its id only seeds the default seed, which each actuator replaces below.
    composite = read_composite(in, spec, where, preset, "");
    if (in.errors.size() != before) return;
    if (preset) {
      const auto params = spec.find(std::string(to_string(*preset)));
      seed_given = params != spec.end() && params->is_object() && params->contains("seed");
    }
    protocol = in.choice(spec, where, "protocol", protocol, kProtocols);
    button_prefix = in.string(spec, where, "button", button_prefix);
    actuator_prefix = in.string(spec, where, "actuator", actuator_prefix);
  }
  const auto range =
      detail::read_series_range(spec, where, Topology::kMaxPairs, "pairs", generated, in.errors);
  if (!range) return;
  const long count = range->count, start = range->start;
  for (long n = start; n < start + count; ++n) {
    Device actuator;
    actuator.id = actuator_prefix + std::to_string(n);
    actuator.kind = DeviceKind::actuator;
    actuator.protocol = protocol;
    actuator.site = site;
    if (composite) {
      // Like the "sensors" series: seeds differ per device and repeat from run to run.
      actuator.composite = composite;
      actuator.composite->seed = seed_given
                                     ? composite->seed + static_cast<std::uint64_t>(n - start)
                                     : sensor_seed_of(actuator.id);
    }
    Device button;
    button.site = site;
    button.protocol = actuator.protocol;
    button.id = button_prefix + std::to_string(n);
    button.kind = DeviceKind::button;
    button.exact_targets = {actuator.id};
    button.compute = topo.compute;
    topo.devices.push_back(std::move(button));
    topo.devices.push_back(std::move(actuator));
  }
}

void read_pairs(Reader& in, const json& spec, Topology& topo) {
  long generated = 0;
  if (!spec.is_array()) return read_pair_spec(in, spec, "pairs", topo, generated);
  for (std::size_t i = 0; i < spec.size(); ++i) {
    read_pair_spec(in, spec[i], "pairs[" + std::to_string(i) + "]", topo, generated);
  }
}

// "sites": [{"id": "building-a", "parent": "campus", "link": {"latency_ms": 5}}, ...]
void read_sites(Reader& in, const json& list, Topology& topo) {
  if (!list.is_array()) {
    in.error("sites",
             "must be an array of sites like {\"id\": \"building-a\", \"link\": "
             "{\"latency_ms\": 20}}");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    std::string where = "sites[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      in.error(where, "must be an object with 'id'");
      continue;
    }
    Site site;
    site.id = in.string(item, where, "id", "", true);
    if (!site.id.empty()) where += " '" + site.id + "'";
    in.check_fields(item, where, {"id", "parent", "description", "link", "broker"});
    site.parent = in.string(item, where, "parent", "");
    site.description = in.string(item, where, "description", "");
    if (const std::string broker = in.string(item, where, "broker", "core"); broker == "local") {
      site.broker = Site::Broker::local;
    } else if (broker != "core") {
      in.error(where + ".broker",
               "must be \"core\" (the default) or \"local\" (a Mosquitto of "
               "the site bridged to the core), not \"" +
                   broker + "\"");
    }
    if (auto it = item.find("link"); it != item.end()) {
      site.link = parse_link_spec(*it, where + ".link", in.errors);
    }
    topo.sites.push_back(std::move(site));
  }
}

// "relayers": 3
void read_relayers(Reader& in, const json& value, Topology& topo) {
  const std::string range = "1 to " + std::to_string(Topology::kMaxRelayers);
  if (!value.is_number_integer()) {
    in.error("relayers", "must be a whole number from " + range + ", not " + value.dump());
    return;
  }
  const auto count = value.get<long long>();
  if (count < 1 || count > Topology::kMaxRelayers) {
    in.error("relayers", "must be from " + range + ", not " + std::to_string(count));
    return;
  }
  topo.relayers = static_cast<int>(count);
}

}  // namespace

namespace detail {

void parse_press_fields(const nlohmann::json& item, const std::string& where, const Topology& topo,
                        Device& dev, std::vector<std::string>& errors) {
  Reader in;
  read_press_fields(in, item, where, topo, dev);
  for (auto& e : in.errors) errors.push_back(std::move(e));
}

}  // namespace detail

Topology parse_topology(const nlohmann::json& doc, const std::string& base_dir) {
  Reader in;
  Topology topo;
  if (!doc.is_object()) throw TopologyError({"the topology must be a JSON object"});
  in.check_fields(
      doc, "",
      {"name", "description", "broker", "routing", "compute", "computes", "topic_key", "groups",
       "devices", "pairs", "sensors", "relayers", "sites", "rules", "comment"});
  topo.name = in.string(doc, "", "name", "", true);
  topo.description = in.string(doc, "", "description", "");
  topo.broker = in.choice(doc, "", "broker", BrokerKind::mosquitto, kBrokers);
  topo.routing = in.choice(doc, "", "routing", Routing::topic, kRoutings);
  // The named computes first: the topology's and the buttons' "compute" may use them.
  if (auto it = doc.find("computes"); it != doc.end()) {
    topo.computes = detail::parse_computes(*it, in.errors);
  }
  if (auto it = doc.find("compute"); it != doc.end()) {
    topo.compute = in.compute(*it, "topology", ComputeSpec{}, topo.computes);
  }
  topo.topic_key = in.strings(doc, "topic_key", "topic_key", "attr name");
  if (auto it = doc.find("groups"); it != doc.end()) read_groups(in, *it, topo);
  if (auto it = doc.find("sites"); it != doc.end()) read_sites(in, *it, topo);
  if (auto it = doc.find("devices"); it != doc.end()) read_devices(in, *it, topo);
  if (auto it = doc.find("pairs"); it != doc.end()) read_pairs(in, *it, topo);
  if (auto it = doc.find("sensors"); it != doc.end()) {
    detail::generate_sensors(*it,
                             topo.broker == BrokerKind::rabbitmq ? Protocol::amqp : Protocol::mqtt,
                             topo, in.errors);
  }
  if (auto it = doc.find("relayers"); it != doc.end()) read_relayers(in, *it, topo);
  if (auto it = doc.find("rules"); it != doc.end()) detail::parse_rules(*it, topo, in.errors);
  detail::load_sensor_traces(topo, base_dir, in.errors);
  for (auto& e : validate(topo)) in.errors.push_back(std::move(e));
  if (!in.errors.empty()) throw TopologyError(std::move(in.errors));
  topo.reindex();
  return topo;
}

Topology parse_topology_text(std::string_view text, const std::string& base_dir) {
  json doc;
  try {
    doc = parse_json_text(text);
  } catch (const JsonSyntaxError& e) {
    throw TopologyError({e.what()});
  }
  return parse_topology(doc, base_dir);
}

Topology load_topology(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw TopologyError({path + ": cannot open the file"});
  std::stringstream buffer;
  buffer << file.rdbuf();
  try {
    return parse_topology_text(buffer.str(), std::filesystem::path(path).parent_path().string());
  } catch (TopologyError& e) {
    std::vector<std::string> errors;
    for (auto& line : e.errors) errors.push_back(path + ": " + line);
    throw TopologyError(std::move(errors));
  }
}

}  // namespace snet
