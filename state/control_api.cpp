#include "control_api.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "link_api.hpp"
#include "snet/log.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet::state {
namespace {

using http::error_response;
using http::json_response;
using http::Reply;
using http::Request;
using http::Response;
using nlohmann::json;

// How long the answer to a kill/restart of this very service gets to reach the client before
// the supervisor is asked (after that, this process may be gone).
constexpr std::chrono::milliseconds kSelfControlDelay{200};

constexpr const char* kNoSupervisor =
    "no supervisor: snet-state was not started by `snet up` (SNET_SUPERVISOR_URL unset)";

std::string new_fault_id() {
  return "fault-" + new_press_id();
}

bool is_service_verb(const std::string& verb) {
  return std::find(std::begin(kServiceVerbs), std::end(kServiceVerbs), verb) !=
         std::end(kServiceVerbs);
}

std::string verbs_list(auto& verbs) {
  std::string out;
  for (std::string_view v : verbs) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

// The supervisor's answer, passed through when it is JSON; otherwise a 502 that names it.
Response relay(const SupervisorClient& supervisor, const http::ClientReply& reply) {
  if (reply.status == 0) {
    return error_response(
        502, "the supervisor at " + supervisor.url() + " did not answer: " + reply.error);
  }
  json body = json::parse(reply.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return error_response(502, "the supervisor at " + supervisor.url() + " answered " +
                                   std::to_string(reply.status) + " without a JSON object");
  }
  return json_response(reply.status, body);
}

void submit_or_busy(const ControlContext& ctx, Reply reply, std::function<void()> job) {
  if (!ctx.supervisor.submit(std::move(job))) {
    reply(error_response(503, "too many requests to the supervisor are waiting; try again"));
  }
}

void list_services(const ControlContext& ctx, Reply reply) {
  if (!ctx.supervisor.configured()) return reply(error_response(503, kNoSupervisor));
  const ControlContext* c = &ctx;
  submit_or_busy(ctx, reply, [c, reply] {
    reply(relay(c->supervisor, c->supervisor.call("GET", "/services")));
  });
}

// Checks the name against the supervisor's list first, so a typo is answered with the known
// names and is not recorded as a fault.
void control_service(const ControlContext& ctx, const Request& req, Reply reply) {
  const std::string name = req.params.at("name");
  const std::string verb = req.params.at("verb");
  if (!is_service_verb(verb)) {
    return reply(
        refuse(ctx, 400, "bad_verb",
               "unknown service verb '" + verb + "' (use " + verbs_list(kServiceVerbs) + ")"));
  }
  if (name == "state" && verb == "stop") {
    return reply(
        refuse(ctx, 409, "refused",
               "the state service cannot stop itself through its own API (nothing could start it "
               "again): stop the whole stack with Ctrl-C on `snet up`, or use `kill` or `restart`, "
               "after which the supervisor starts it again"));
  }
  if (!ctx.supervisor.configured()) return reply(error_response(503, kNoSupervisor));
  const ControlContext* c = &ctx;
  submit_or_busy(ctx, reply, [c, reply, name, verb] {
    const http::ClientReply listing = c->supervisor.call("GET", "/services");
    if (listing.status != 200) return reply(relay(c->supervisor, listing));
    const json services = json::parse(listing.body, nullptr, false);
    std::string known;
    bool found = false;
    if (services.is_object() && services.contains("services") && services["services"].is_array()) {
      for (const auto& s : services["services"]) {
        const std::string n = s.is_object() ? s.value("name", "") : "";
        known += (known.empty() ? "" : ", ") + n;
        found = found || n == name;
      }
    }
    if (!found) {
      c->metrics.control_rejected("unknown_service").add();
      return reply(error_response(404, "unknown service '" + name + "' (supervised: " +
                                           (known.empty() ? "none" : known) + ")"));
    }
    // Recorded before it is carried out: a kill of this very service is still in the history.
    const EventRecord fault = record_fault(*c, name, "service", verb, "via the supervisor");
    if (name == "state") {
      // This process is about to die: answer first, give the answer a moment to leave, then ask.
      reply(json_response(202, {{"fault_id", fault.fault_id},
                                {"service", {{"name", name}}},
                                {"action", verb},
                                {"note", "the state service is being " + verb +
                                             "ed by the supervisor; it answers again once it "
                                             "is back"}}));
      std::this_thread::sleep_for(kSelfControlDelay);
      const http::ClientReply done = c->supervisor.call("POST", "/services/state/" + verb);
      if (done.status != 200) {
        log::warn("the supervisor did not ", verb,
                  " the state service: ", done.status == 0 ? done.error : done.body);
      }
      return;
    }
    Response answer =
        relay(c->supervisor, c->supervisor.call("POST", "/services/" + name + "/" + verb));
    if (answer.status == 200) {
      json body = json::parse(answer.body, nullptr, false);
      body["fault_id"] = fault.fault_id;
      answer = json_response(200, body);
    }
    reply(std::move(answer));
  });
}

// duration_ms from the query or the JSON body; `error` says what is wrong.
std::optional<std::int64_t> duration_of(const ControlContext& ctx, const Request& req,
                                        std::optional<Response>& error) {
  for (const auto& [key, value] : req.query) {
    if (key != "duration_ms") {
      error =
          refuse(ctx, 400, "bad_query", "unknown query parameter '" + key + "' (use duration_ms)");
      return std::nullopt;
    }
  }
  std::string text;
  if (auto it = req.query.find("duration_ms"); it != req.query.end()) text = it->second;
  if (req.body.size() > kMaxControlBody) {
    error = refuse(ctx, 413, "oversized",
                   "request body of " + std::to_string(req.body.size()) +
                       " bytes exceeds the limit of " + std::to_string(kMaxControlBody));
    return std::nullopt;
  }
  if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      error = refuse(ctx, 400, "malformed_json",
                     "request body must be a JSON object like {\"duration_ms\": 2000}");
      return std::nullopt;
    }
    for (const auto& [key, value] : body.items()) {
      if (key != "duration_ms") {
        error = refuse(ctx, 400, "malformed_json",
                       "unknown field '" + key + "' in the body (use duration_ms)");
        return std::nullopt;
      }
      if (!value.is_number_integer()) {
        error = refuse(ctx, 400, "bad_duration", "duration_ms must be an integer (milliseconds)");
        return std::nullopt;
      }
      text = std::to_string(value.get<std::int64_t>());
    }
  }
  if (text.empty()) return 0;
  auto ms = parse_duration_ms(text);
  if (!ms) {
    error = refuse(ctx, 400, "bad_duration",
                   "duration_ms must be an integer from 0 to " +
                       std::to_string(kMaxFaultDurationMs) + ", got '" + text + "'");
  }
  return ms;
}

// Publishes at QoS 1 and answers 202 once the broker has it.
void publish_control(const ControlContext& ctx, DeviceControl control, Reply reply, json answer) {
  if (!ctx.bus.connected()) {
    return reply(error_response(503, "the message bus is not connected; try again"));
  }
  Message message{topics::control_topic(ctx.topology.name), to_json(control), false, {}};
  ctx.bus.publish(std::move(message), Qos::at_least_once,
                  [reply, answer = std::move(answer)](bool ok, const std::string& error) {
                    if (!ok)
                      return reply(error_response(502, "publishing the control failed: " + error));
                    reply(json_response(202, answer));
                  });
}

void control_device(const ControlContext& ctx, const Request& req, Reply reply) {
  const std::string id = req.params.at("id");
  const std::string verb = req.params.at("verb");
  if (ctx.topology.find(id) == nullptr) {
    return reply(refuse(ctx, 404, "unknown_device", "unknown device '" + id + "'"));
  }
  const bool known = std::find(std::begin(kDeviceControlActions), std::end(kDeviceControlActions),
                               verb) != std::end(kDeviceControlActions);
  if (!known) {
    return reply(refuse(ctx, 400, "bad_verb",
                        "unknown device verb '" + verb + "' (use press, " +
                            verbs_list(kDeviceControlActions) + ")"));
  }
  std::optional<Response> error;
  const auto duration = duration_of(ctx, req, error);
  if (!duration) return reply(std::move(*error));
  if (*duration > 0 && (verb == "online" || verb == "reconnect")) {
    return reply(refuse(ctx, 400, "bad_duration",
                        "duration_ms applies to offline, crash and freeze, not " + verb));
  }
  const std::string detail =
      *duration > 0 ? "back online after " + std::to_string(*duration) + " ms" : "";
  const EventRecord fault = record_fault(ctx, id, "device", verb, detail);
  DeviceControl control{verb, {id}, fault.fault_id, fault.fault_ts, *duration};
  json answer = {{"fault_id", fault.fault_id}, {"device", id}, {"action", verb}};
  if (*duration > 0) answer["duration_ms"] = *duration;
  publish_control(ctx, std::move(control), std::move(reply), std::move(answer));
}

void storm(const ControlContext& ctx, const Request& req, Reply reply) {
  if (auto refused = refuse_query_or_oversized(ctx, req, "POST /api/faults/storm")) {
    return reply(std::move(*refused));
  }
  DeviceSelection selection;
  try {
    selection = parse_storm_selection(ctx.topology, req.body);
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    const bool unknown = what.rfind("unknown device", 0) == 0;
    return reply(
        refuse(ctx, unknown ? 404 : 400, unknown ? "unknown_device" : "bad_devices", what));
  }
  const std::size_t count = selection.devices == std::vector<std::string>{"*"}
                                ? ctx.topology.devices.size()
                                : selection.devices.size();
  const EventRecord fault = record_fault(ctx, selection.label, "storm", "storm",
                                         "reconnect of " + std::to_string(count) + " devices");
  json answer = {{"fault_id", fault.fault_id}, {"action", "reconnect"}, {"devices", count}};
  DeviceControl control{"reconnect", std::move(selection.devices), fault.fault_id, fault.fault_ts,
                        0};
  publish_control(ctx, std::move(control), std::move(reply), std::move(answer));
}

}  // namespace

Response refuse(const ControlContext& ctx, int status, const std::string& reason,
                const std::string& message) {
  ctx.metrics.control_rejected(reason).add();
  return error_response(status, message);
}

// A store failure is logged, not fatal: the action is still carried out (the experiment asked
// for it).
EventRecord record_fault(const ControlContext& ctx, const std::string& target,
                         const std::string& target_kind, const std::string& action,
                         const std::string& detail) {
  EventRecord fault;
  fault.kind = EventKind::fault;
  fault.device = target;
  fault.target_kind = target_kind;
  fault.action = action;
  fault.detail = detail;
  fault.fault_id = new_fault_id();
  fault.fault_ts = now_us();
  try {
    fault = ctx.store.record_fault(fault);
    ctx.feed.apply({fault});
  } catch (const std::exception& e) {
    log::error("recording fault ", fault.fault_id, " (", action, " ", target, "): ", e.what());
  }
  ctx.metrics.faults(action).add();
  log::info("fault ", fault.fault_id, ": ", action, " ", target_kind, " ", target,
            detail.empty() ? "" : " (" + detail + ")");
  return fault;
}

std::optional<Response> refuse_query_or_oversized(const ControlContext& ctx, const Request& req,
                                                  const std::string& route) {
  if (!req.query.empty()) {
    return refuse(ctx, 400, "bad_query",
                  route + " takes no query parameters (the request is its JSON body)");
  }
  if (req.body.size() > kMaxControlBody) {
    return refuse(ctx, 413, "oversized",
                  "request body of " + std::to_string(req.body.size()) +
                      " bytes exceeds the limit of " + std::to_string(kMaxControlBody));
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > kMaxFaultDurationMs) {
    return std::nullopt;
  }
  return value;
}

DeviceSelection parse_storm_selection(const Topology& topology, std::string_view body) {
  DeviceSelection out;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return {{"*"}, "*"};
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw std::invalid_argument(
        "request body must be a JSON object: {\"devices\": [...]}, {\"devices\": \"*\"} or "
        "{\"kind\": \"actuator\"}");
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "devices" && key != "kind") {
      throw std::invalid_argument("unknown field '" + key + "' (use devices or kind)");
    }
  }
  if (doc.contains("devices") && doc.contains("kind")) {
    throw std::invalid_argument("give either devices or kind, not both");
  }
  if (doc.contains("kind")) {
    const json& kind = doc["kind"];
    if (!kind.is_string() || (kind != "actuator" && kind != "button" && kind != "sensor")) {
      throw std::invalid_argument("kind must be \"actuator\", \"button\" or \"sensor\"");
    }
    const std::string k = kind.get<std::string>();
    for (const auto& d : topology.devices) {
      if (std::string(to_string(d.kind)) == k) out.devices.push_back(d.id);
    }
    if (out.devices.empty()) throw std::invalid_argument("the topology has no " + k + "s");
    out.label = "kind:" + k;
    return out;
  }
  const json devices = doc.value("devices", json("*"));
  if (devices == "*") return {{"*"}, "*"};
  if (!devices.is_array() || devices.empty()) {
    throw std::invalid_argument("devices must be \"*\" or a non-empty list of device ids");
  }
  std::string unknown;
  for (const auto& d : devices) {
    if (!d.is_string()) throw std::invalid_argument("devices must hold device ids (strings)");
    const std::string id = d.get<std::string>();
    if (topology.find(id) == nullptr) {
      unknown += (unknown.empty() ? "'" : ", '") + id + "'";
    } else if (std::find(out.devices.begin(), out.devices.end(), id) == out.devices.end()) {
      out.devices.push_back(id);
    }
  }
  if (!unknown.empty()) throw std::invalid_argument("unknown device " + unknown);
  out.label = out.devices.size() == 1 ? out.devices.front()
                                      : std::to_string(out.devices.size()) + " devices";
  return out;
}

void add_control_routes(http::Router& router, const ControlContext& context) {
  const ControlContext* ctx = &context;
  router.route_async("GET", "/api/services",
                     [ctx](Request, Reply reply) { list_services(*ctx, std::move(reply)); });
  router.route_async("POST", "/api/services/{name}/{verb}", [ctx](Request req, Reply reply) {
    control_service(*ctx, req, std::move(reply));
  });
  router.route_async("POST", "/api/devices/{id}/{verb}", [ctx](Request req, Reply reply) {
    control_device(*ctx, req, std::move(reply));
  });
  router.route_async("POST", "/api/faults/storm",
                     [ctx](Request req, Reply reply) { storm(*ctx, req, std::move(reply)); });
  if (context.links != nullptr) add_link_routes(router, context);
}

}  // namespace snet::state
