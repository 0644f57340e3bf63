// GET /api/topology's view of the topology model (docs/api.md).
#include "topology_view.hpp"

#include "snet/routing.hpp"

namespace snet::state {
namespace {

using nlohmann::json;

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

nlohmann::json topology_view(const Topology& t) {
  json devs = json::array();
  for (const auto& d : t.devices) {
    json item = {{"id", d.id}, {"kind", to_string(d.kind)}, {"protocol", to_string(d.protocol)}};
    if (d.external) item["external"] = true;  // played by a program of its own, not an agent
    if (!d.attrs.empty()) item["attrs"] = d.attrs;
    if (!d.site.empty()) item["site"] = d.site;
    if (d.link) item["link"] = d.link->to_json();
    if (d.kind == DeviceKind::button) {
      item["targets"] = d.targets;
      json routes = json::array();
      for (const auto& route : d.routes) routes.push_back(route_json(t, route));
      item["routes"] = std::move(routes);
      item["compute"] = compute_json(d.compute);
    } else if (d.kind == DeviceKind::sensor && d.sensor) {
      // What a reading of it means: the dashboard's axis, a consumer's sanity check.
      const Envelope envelope = envelope_of(*d.sensor);
      item["sensor"] = {{"capability", d.sensor->capability},
                        {"unit", d.sensor->unit},
                        {"rate_hz", d.sensor->rate_hz},
                        {"qos", d.sensor->qos},
                        {"model", to_string(d.sensor->model.type)},
                        {"low", envelope.low},
                        {"high", envelope.high}};
    } else if (d.kind == DeviceKind::actuator) {
      item["sources"] = t.sources_of(d.id);
      if (d.composite) {  // what it switches, and what its readings measure
        item["composite"] = {{"kind", to_string(d.composite->kind)},
                             {"switches", d.composite->switched()},
                             {"capability", d.composite->measured()},
                             {"unit", d.composite->unit()},
                             {"rate_hz", d.composite->rate_hz},
                             {"qos", d.composite->qos}};
      }
      if (!t.topic_key.empty()) {
        std::string key;
        for (const auto& level : t.key_of(d)) key += (key.empty() ? "" : "/") + level;
        item["key"] = key;
      }
    }
    devs.push_back(std::move(item));
  }
  json out = {{"name", t.name},
              {"description", t.description},
              {"broker", to_string(t.broker)},
              {"routing", to_string(t.routing)},
              {"compute", compute_json(t.compute)},
              {"devices", std::move(devs)}};
  if (!t.topic_key.empty()) out["topic_key"] = t.topic_key;
  if (!t.groups.empty()) out["groups"] = t.groups;
  if (t.relayers != 1) out["relayers"] = t.relayers;
  if (!t.computes.empty()) out["computes"] = computes_json(t);
  if (!t.rules.empty()) {
    // What each rule watches and what a firing commands (as a button's).
    json list = json::array();
    for (const auto& rule : t.rules) {
      json on = {{"reading", rule.reading}, {rule.above ? "above" : "below", rule.threshold}};
      if (!rule.device.empty()) on["device"] = rule.device;
      json routes = json::array();
      for (const auto& route : rule.action.routes) routes.push_back(route_json(t, route));
      list.push_back({{"id", rule.id},
                      {"on", std::move(on)},
                      {"sources", rule.sources},
                      {"targets", rule.action.targets},
                      {"routes", std::move(routes)},
                      {"compute", compute_json(rule.action.compute)}});
    }
    out["rules"] = std::move(list);
  }
  if (!t.sites.empty()) {
    json list = json::array();
    for (const auto& site : t.sites) {
      json item = {{"id", site.id}, {"link", site.link.to_json()}};
      if (!site.parent.empty()) item["parent"] = site.parent;
      if (!site.description.empty()) item["description"] = site.description;
      json members = json::array();
      for (const Device* d : t.devices_in(site.id)) members.push_back(d->id);
      item["devices"] = std::move(members);
      list.push_back(std::move(item));
    }
    out["sites"] = std::move(list);
  }
  return out;
}

}  // namespace snet::state
