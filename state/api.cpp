#include "api.hpp"

#include <charconv>

#include "http_access.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "views.hpp"

namespace snet::state {
namespace {

using http::error_response;
using http::json_response;
using http::Request;
using http::Response;

// Every query parameter is checked: a typo is an error that names it, not a silent default.
Response events(const ApiContext& ctx, const Request& req) {
  for (const auto& [key, value] : req.query) {
    if (key != "device" && key != "limit" && key != "kind") {
      return error_response(400, "unknown query parameter '" + key + "' (use device, limit, kind)");
    }
  }
  std::optional<EventKind> kind;
  if (auto it = req.query.find("kind"); it != req.query.end()) {
    kind = parse_event_kind(it->second);
    if (!kind) {
      return error_response(400, "kind: must be state, error or fault, got '" + it->second + "'");
    }
  }
  int limit = kDefaultEventLimit;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    const std::string& text = it->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || end != text.data() + text.size() || limit < 1 ||
        limit > kMaxEventLimit) {
      return error_response(400, "limit: must be an integer from 1 to " +
                                     std::to_string(kMaxEventLimit) + ", got '" + text + "'");
    }
  }
  std::string device;
  if (auto it = req.query.find("device"); it != req.query.end()) {
    device = it->second;
    if (device.empty() || device.size() > 64) {
      return error_response(400, "device: must be a device id of 1 to 64 characters");
    }
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : ctx.store.events(device, limit, kind)) items.push_back(event_view(e));
  return json_response(200, {{"events", std::move(items)}});
}

// A non-negative integer in full, or nullopt.
std::optional<std::int64_t> whole_number(const std::string& text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) return std::nullopt;
  return n;
}

Response readings(const ApiContext& ctx, const Request& req) {
  const std::string& id = req.params.at("id");
  for (const auto& [key, value] : req.query) {
    if (key != "since" && key != "limit") {
      return error_response(400, "unknown query parameter '" + key + "' (use since, limit)");
    }
  }
  ReadingQuery query;
  query.device = id;
  query.limit = kDefaultReadingLimit;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    const auto n = whole_number(it->second);
    if (!n || *n < 1) {
      return error_response(400, "limit: must be a positive integer (at most " +
                                     std::to_string(kMaxReadingLimit) + " are returned), got '" +
                                     it->second + "'");
    }
    query.limit = static_cast<int>(std::min<std::int64_t>(*n, kMaxReadingLimit));
  }
  if (auto it = req.query.find("since"); it != req.query.end()) {
    query.since = whole_number(it->second);
    if (!query.since) {
      return error_response(400, "since: must be microseconds since 1970 (an integer >= 0), got '" +
                                     it->second + "'");
    }
  }
  if (ctx.topology.find(id) == nullptr) {
    return error_response(404, "unknown device '" + id + "'");
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : ctx.store.readings(query)) items.push_back(reading_view(r));
  return json_response(200,
                       {{"device", id}, {"limit", query.limit}, {"readings", std::move(items)}});
}

void press(const ApiContext& ctx, Request req, http::Reply reply) {
  const std::string id = req.params.at("id");
  const Device* device = ctx.topology.find(id);
  if (device == nullptr) return reply(error_response(404, "unknown device '" + id + "'"));
  if (device->kind != DeviceKind::button) {
    return reply(error_response(400, "device '" + id + "' is an actuator, not a button"));
  }
  if (!ctx.bus.connected()) {
    return reply(error_response(503, "the message bus is not connected; try again"));
  }
  const std::string press_id = new_press_id();
  Message trigger{topics::make(ctx.topology.name, topics::Kind::trigger, id),
                  nlohmann::json{{"id", press_id}}.dump(),
                  false,
                  {}};
  // Answer once the broker has the trigger (QoS 1): a 202 means it will not be lost.
  ctx.bus.publish(std::move(trigger), Qos::at_least_once,
                  [&ctx, reply, press_id, id](bool ok, const std::string& error) {
                    if (!ok) {
                      reply(error_response(502, "publishing the trigger failed: " + error));
                      return;
                    }
                    ctx.metrics.presses_requested.add();
                    reply(json_response(202, {{"press_id", press_id}, {"button", id}}));
                  });
}

}  // namespace

http::Router make_api(const ApiContext& context) {
  const ApiContext* ctx = &context;
  http::Router router;
  router.route("GET", "/api/topology",
               [ctx](const Request&) { return json_response(200, ctx->feed.topology_view()); });
  router.route("GET", "/api/devices", [ctx](const Request&) {
    return json_response(200, {{"devices", ctx->feed.devices()}});
  });
  router.route("GET", "/api/devices/{id}", [ctx](const Request& req) {
    const std::string& id = req.params.at("id");
    if (auto view = ctx->feed.device(id)) return json_response(200, *view);
    return error_response(404, "unknown device '" + id + "'");
  });
  router.route("GET", "/api/devices/{id}/readings",
               [ctx](const Request& req) { return readings(*ctx, req); });
  router.route_async("POST", "/api/devices/{id}/press", [ctx](Request req, http::Reply reply) {
    press(*ctx, std::move(req), std::move(reply));
  });
  if (ctx->control != nullptr) add_control_routes(router, *ctx->control);
  if (ctx->scenario != nullptr) {
    router.route("GET", "/api/scenario", [ctx](const Request&) {
      if (auto view = ctx->scenario->view()) return json_response(200, *view);
      return error_response(404,
                            "no scenario has run on this stack: `snet run SCENARIO --attach "
                            "URL` publishes one (scenarios/README.md)");
    });
  }
  router.route("GET", "/api/session", [ctx](const Request& req) {
    Response r =
        json_response(200, ctx->guard != nullptr ? session_view(*ctx->guard, req)
                                                 : nlohmann::json{{"token_required", false}});
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  });
  router.route("GET", "/api/events", [ctx](const Request& req) { return events(*ctx, req); });
  router.route("GET", "/api/health",
               [ctx](const Request&) { return json_response(200, ctx->health()); });
  router.route("GET", "/healthz", [ctx](const Request&) {
    const std::vector<std::string> problems = ctx->problems();
    if (problems.empty()) return json_response(200, {{"status", "ok"}});
    return json_response(503, {{"status", "unavailable"}, {"problems", problems}});
  });
  router.route("GET", "/readyz", [ctx](const Request&) {
    const std::vector<std::string> problems = ctx->unready();
    if (problems.empty()) return json_response(200, {{"status", "ready"}});
    return json_response(503, {{"status", "not ready"}, {"problems", problems}});
  });
  router.route("GET", "/metrics", [ctx](const Request&) {
    return http::text_response(200, ctx->metrics_text(), "text/plain; version=0.0.4");
  });
  router.route("GET", "/ws", [](const Request&) {
    Response r =
        error_response(426, "/ws is a WebSocket endpoint: connect with a WebSocket client");
    r.headers.emplace_back("Upgrade", "websocket");
    return r;
  });
  router.fallback([ctx](Request req, http::Reply reply) {
    if (req.path == "/api" || req.path.rfind("/api/", 0) == 0) {
      return reply(error_response(404, "no such resource: " + req.path));
    }
    reply(http::static_file(ctx->dashboard_dir, req));
  });
  return router;
}

}  // namespace snet::state
