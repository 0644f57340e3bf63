#include "snet/topology.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "snet/json_text.hpp"
#include "snet/routing.hpp"
#include "topology_internal.hpp"

namespace snet {

bool is_valid_name(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

namespace {

using nlohmann::json;

const std::vector<std::string> kNoTargets;

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

  template <typename Enum, std::size_t N>
  Enum choice(const json& obj, const std::string& where, const char* key, Enum fallback,
              const std::pair<std::string_view, Enum> (&options)[N]) {
    const std::string text = string(obj, where, key, "");
    if (text.empty()) return fallback;
    std::string list;
    for (const auto& [name, value] : options) {
      if (text == name) return value;
      list += (list.empty() ? "" : ", ") + std::string(name);
    }
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
    if (spec.backend != "builtin" && spec.backend != "openwhisk") {
      error(where + ".compute", "backend '" + spec.backend + "' is not builtin or openwhisk");
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
                                                              {"actuator", DeviceKind::actuator}};
constexpr std::pair<std::string_view, BrokerKind> kBrokers[] = {
    {"mosquitto", BrokerKind::mosquitto}, {"rabbitmq", BrokerKind::rabbitmq}};
constexpr std::pair<std::string_view, Routing> kRoutings[] = {
    {"topic", Routing::topic}, {"fanout", Routing::fanout}, {"headers", Routing::headers}};
constexpr std::pair<std::string_view, Protocol> kProtocols[] = {{"mqtt", Protocol::mqtt},
                                                                {"amqp", Protocol::amqp}};

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
                     "compute", "site", "link"});
    (void)in.string(item, where, "kind", "", true);  // reports a missing kind
    dev.kind = in.choice(item, where, "kind", DeviceKind::actuator, kKinds);
    const Protocol native = topo.broker == BrokerKind::rabbitmq ? Protocol::amqp : Protocol::mqtt;
    dev.protocol = in.choice(item, where, "protocol", native, kProtocols);
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
    dev.exact_targets = in.strings(item, where, "targets", "actuator id");
    dev.patterns = in.strings(item, where, "patterns", "topic-key pattern");
    dev.groups = in.strings(item, where, "groups", "group name");
    if (auto it = item.find("match"); it != item.end()) dev.matches = in.matches(*it, where);
    dev.compute = topo.compute;
    if (auto it = item.find("compute"); it != item.end()) {
      dev.compute = in.compute(*it, where, topo.compute, topo.computes);
    }
    dev.site = in.string(item, where, "site", "");
    if (auto it = item.find("link"); it != item.end()) {
      dev.link = parse_link_spec(*it, where + ".link", in.errors);
    }
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
// "site": "farm"}  or a list of such objects (e.g. one per building).
void read_pair_spec(Reader& in, const json& spec, const std::string& where, Topology& topo) {
  long count = 0, start = 1;
  std::string button_prefix = "button-", actuator_prefix = "actuator-", site;
  Protocol protocol = topo.broker == BrokerKind::rabbitmq ? Protocol::amqp : Protocol::mqtt;
  if (spec.is_number_integer()) {
    count = spec.get<long>();
  } else if (spec.is_object()) {
    in.check_fields(spec, where, {"count", "button", "actuator", "start", "protocol", "site"});
    site = in.string(spec, where, "site", "");
    protocol = in.choice(spec, where, "protocol", protocol, kProtocols);
    auto c = spec.find("count");
    if (c == spec.end() || !c->is_number_integer()) {
      in.error(where, "'count' must be a whole number");
      return;
    }
    count = c->get<long>();
    if (auto s = spec.find("start"); s != spec.end()) {
      if (!s->is_number_integer())
        in.error(where, "'start' must be a whole number");
      else
        start = s->get<long>();
    }
    button_prefix = in.string(spec, where, "button", button_prefix);
    actuator_prefix = in.string(spec, where, "actuator", actuator_prefix);
  } else {
    in.error(where, "must be a number or an object with 'count'");
    return;
  }
  if (count < 1 || count > 100000) {
    in.error(where, "count must be from 1 to 100000, not " + std::to_string(count));
    return;
  }
  for (long n = start; n < start + count; ++n) {
    Device actuator;
    actuator.id = actuator_prefix + std::to_string(n);
    actuator.kind = DeviceKind::actuator;
    actuator.protocol = protocol;
    actuator.site = site;
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
  if (!spec.is_array()) return read_pair_spec(in, spec, "pairs", topo);
  for (std::size_t i = 0; i < spec.size(); ++i) {
    read_pair_spec(in, spec[i], "pairs[" + std::to_string(i) + "]", topo);
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
    in.check_fields(item, where, {"id", "parent", "description", "link"});
    site.parent = in.string(item, where, "parent", "");
    site.description = in.string(item, where, "description", "");
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

std::string_view to_string(DeviceKind v) {
  return v == DeviceKind::button ? "button" : "actuator";
}
std::string_view to_string(BrokerKind v) {
  return v == BrokerKind::mosquitto ? "mosquitto" : "rabbitmq";
}
std::string_view to_string(Routing v) {
  switch (v) {
    case Routing::topic:
      return "topic";
    case Routing::fanout:
      return "fanout";
    case Routing::headers:
      return "headers";
  }
  return "?";
}
std::string_view to_string(Protocol v) {
  return v == Protocol::mqtt ? "mqtt" : "amqp";
}
std::string_view to_string(RouteKind v) {
  switch (v) {
    case RouteKind::actuator:
      return "actuator";
    case RouteKind::pattern:
      return "pattern";
    case RouteKind::group:
      return "group";
    case RouteKind::match:
      return "match";
  }
  return "?";
}

namespace {
std::string join_lines(const std::vector<std::string>& errors) {
  std::string text = "invalid topology:";
  for (const auto& e : errors) text += "\n  - " + e;
  return text;
}
}  // namespace

TopologyError::TopologyError(std::vector<std::string> errs)
    : std::runtime_error(join_lines(errs)), errors(std::move(errs)) {}

const Device* Topology::find(std::string_view id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &devices[it->second];
}

std::vector<const Device*> Topology::buttons() const {
  std::vector<const Device*> out;
  for (const auto& d : devices)
    if (d.kind == DeviceKind::button) out.push_back(&d);
  return out;
}

std::vector<const Device*> Topology::actuators() const {
  std::vector<const Device*> out;
  for (const auto& d : devices)
    if (d.kind == DeviceKind::actuator) out.push_back(&d);
  return out;
}

const std::vector<std::string>& Topology::targets_of(std::string_view button) const {
  const Device* dev = find(button);
  return dev != nullptr && dev->kind == DeviceKind::button ? dev->targets : kNoTargets;
}

std::vector<std::string> Topology::key_of(const Device& actuator) const {
  std::vector<std::string> key;
  for (const auto& attr : topic_key) {
    auto it = actuator.attrs.find(attr);
    key.push_back(it == actuator.attrs.end() ? std::string() : it->second);
  }
  return key;
}

std::vector<std::string> Topology::sources_of(std::string_view actuator) const {
  std::vector<std::string> out;
  for (const auto& d : devices) {
    if (d.kind != DeviceKind::button) continue;
    for (const auto& t : d.targets) {
      if (t == actuator) {
        out.push_back(d.id);
        break;
      }
    }
  }
  return out;
}

void Topology::reindex() {
  index_.clear();
  for (std::size_t i = 0; i < devices.size(); ++i) index_.emplace(devices[i].id, i);
  site_index_.clear();
  for (std::size_t i = 0; i < sites.size(); ++i) site_index_.emplace(sites[i].id, i);
  detail::resolve_routes(*this);
}

namespace {

json route_json(const Topology& topo, const Route& route) {
  json item = {{"kind", to_string(route.kind)}, {"id", route.id}, {"actuators", route.members}};
  switch (route.kind) {
    case RouteKind::actuator:
      item["actuator"] = route.name;
      break;
    case RouteKind::pattern:
      item["pattern"] = route.name;
      break;
    case RouteKind::group:
      item["group"] = route.name;
      break;
    case RouteKind::match:
      item["x-match"] = route.match.all ? "all" : "any";
      item["match"] = route.match.attrs;
      break;
  }
  // Where its one command goes: the topic, and on RabbitMQ the exchange and headers.
  const routing::Address address = routing::address_of(topo, route);
  item["topic"] = address.topic;
  if (topo.broker == BrokerKind::rabbitmq) {
    item["exchange"] = address.exchange.empty() ? "amq.topic" : address.exchange;
    if (!address.headers.empty()) item["headers"] = address.headers;
  }
  return item;
}

// {"name": "cloud", "backend": "openwhisk", "action": "flip_switch"}: the name is "default"
// for the topology's own compute.
json compute_json(const ComputeSpec& spec) {
  json out = {{"name", spec.name()}, {"backend", spec.backend}, {"action", spec.action}};
  if (!spec.trigger.empty()) out["trigger"] = spec.trigger;
  return out;
}

// The named computes, each with its buttons (no key: only the variable's name).
json computes_json(const Topology& topo) {
  json list = json::array();
  for (const auto& c : topo.computes) {
    json item = {{"name", c.name}, {"backend", c.backend}, {"relayers", c.relayers}};
    if (c.backend == "openwhisk") {
      item["apihost"] = c.apihost;  // "": the bundled snet-whisk
      item["namespace"] = c.ns.empty() ? "_" : c.ns;
      if (c.insecure) item["insecure"] = true;
      if (!c.auth_env.empty()) item["auth_env"] = c.auth_env;
    }
    json buttons = json::array();
    for (const Device* b : topo.buttons_using(c.name)) buttons.push_back(b->id);
    item["buttons"] = std::move(buttons);
    list.push_back(std::move(item));
  }
  return list;
}

}  // namespace

nlohmann::json Topology::to_json() const {
  json devs = json::array();
  for (const auto& d : devices) {
    json item = {{"id", d.id}, {"kind", to_string(d.kind)}, {"protocol", to_string(d.protocol)}};
    if (!d.attrs.empty()) item["attrs"] = d.attrs;
    if (!d.site.empty()) item["site"] = d.site;
    if (d.link) item["link"] = d.link->to_json();
    if (d.kind == DeviceKind::button) {
      item["targets"] = d.targets;
      json routes = json::array();
      for (const auto& route : d.routes) routes.push_back(route_json(*this, route));
      item["routes"] = std::move(routes);
      item["compute"] = compute_json(d.compute);
    } else {
      item["sources"] = sources_of(d.id);
      if (!topic_key.empty()) {
        std::string key;
        for (const auto& level : key_of(d)) key += (key.empty() ? "" : "/") + level;
        item["key"] = key;
      }
    }
    devs.push_back(std::move(item));
  }
  json out = {{"name", name},
              {"description", description},
              {"broker", to_string(broker)},
              {"routing", to_string(routing)},
              {"compute", compute_json(compute)},
              {"devices", std::move(devs)}};
  if (!topic_key.empty()) out["topic_key"] = topic_key;
  if (!groups.empty()) out["groups"] = groups;
  if (relayers != 1) out["relayers"] = relayers;
  if (!computes.empty()) out["computes"] = computes_json(*this);
  if (!sites.empty()) {
    json list = json::array();
    for (const auto& site : sites) {
      json item = {{"id", site.id}, {"link", site.link.to_json()}};
      if (!site.parent.empty()) item["parent"] = site.parent;
      if (!site.description.empty()) item["description"] = site.description;
      json members = json::array();
      for (const Device* d : devices_in(site.id)) members.push_back(d->id);
      item["devices"] = std::move(members);
      list.push_back(std::move(item));
    }
    out["sites"] = std::move(list);
  }
  return out;
}

std::vector<std::string> validate(const Topology& topo) {
  std::vector<std::string> errors;
  if (!is_valid_name(topo.name)) {
    errors.push_back("name: '" + topo.name +
                     "' must be 1-64 letters, digits, '-' or '_' (it is part of every topic)");
  }
  if (topo.devices.empty()) errors.push_back("devices: the topology has no devices");
  if (topo.routing == Routing::headers && topo.broker != BrokerKind::rabbitmq) {
    errors.push_back(
        "routing: 'headers' needs \"broker\": \"rabbitmq\" (Mosquitto has no "
        "headers exchange); use 'topic' or switch the broker");
  }
  std::map<std::string, const Device*> by_id;
  for (const auto& d : topo.devices) {
    if (!d.id.empty() && !is_valid_name(d.id)) {
      errors.push_back("device '" + d.id + "': id must be 1-64 letters, digits, '-' or '_'");
    }
    if (!by_id.emplace(d.id, &d).second) errors.push_back("device '" + d.id + "': duplicate id");
  }
  for (const auto& d : topo.devices) {
    if (d.protocol == Protocol::amqp && topo.broker != BrokerKind::rabbitmq) {
      errors.push_back("device '" + d.id + "': protocol 'amqp' needs \"broker\": \"rabbitmq\"");
    }
  }
  detail::validate_routes(topo, by_id, errors);
  detail::validate_sites(topo, by_id, errors);
  detail::validate_triggers(topo, errors);
  return errors;
}

Topology parse_topology(const nlohmann::json& doc) {
  Reader in;
  Topology topo;
  if (!doc.is_object()) throw TopologyError({"the topology must be a JSON object"});
  in.check_fields(doc, "",
                  {"name", "description", "broker", "routing", "compute", "computes", "topic_key",
                   "groups", "devices", "pairs", "relayers", "sites", "comment"});
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
  if (auto it = doc.find("relayers"); it != doc.end()) read_relayers(in, *it, topo);
  for (auto& e : validate(topo)) in.errors.push_back(std::move(e));
  if (!in.errors.empty()) throw TopologyError(std::move(in.errors));
  topo.reindex();
  return topo;
}

Topology parse_topology_text(std::string_view text) {
  json doc;
  try {
    doc = parse_json_text(text);
  } catch (const JsonSyntaxError& e) {
    throw TopologyError({e.what()});
  }
  return parse_topology(doc);
}

Topology load_topology(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw TopologyError({path + ": cannot open the file"});
  std::stringstream buffer;
  buffer << file.rdbuf();
  try {
    return parse_topology_text(buffer.str());
  } catch (TopologyError& e) {
    std::vector<std::string> errors;
    for (auto& line : e.errors) errors.push_back(path + ": " + line);
    throw TopologyError(std::move(errors));
  }
}

}  // namespace snet
