#include "rest_api.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "activator.hpp"
#include "snet/clock.hpp"
#include "snet/log.hpp"
#include "trigger_store.hpp"

namespace snet::whisk {
namespace {

using http::Reply;
using http::Request;
using http::Response;
using nlohmann::json;

// OpenWhisk's standard texts (common/scala/.../http/ErrorResponse.scala, Messages).
constexpr const char* kNotFound = "The requested resource does not exist.";
constexpr const char* kNoRoute = "The requested resource could not be found.";
constexpr const char* kAuthMissing =
    "The resource requires authentication, which was not supplied with the request";
constexpr const char* kAuthInvalid = "The supplied authentication is invalid";
constexpr const char* kForbidden =
    "The supplied authentication is not authorized to access this resource.";
constexpr const char* kExists = "resource already exists";
constexpr const char* kIllegalName = "The name of the entity contains illegal characters.";
constexpr long kListDefault = 30;
constexpr long kListMax = 200;

std::string base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// OpenWhisk entity names: letters, digits, '_', '@', '.', '-' and inner spaces, <= 256 chars.
bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 256) return false;
  if (std::isalnum(static_cast<unsigned char>(name[0])) == 0 && name[0] != '_') return false;
  for (const unsigned char c : name) {
    if (std::isalnum(c) == 0 && c != '_' && c != '@' && c != '.' && c != '-' && c != ' ') {
      return false;
    }
  }
  return name.back() != ' ';
}

// 32 hex digits, unique per process: a random prefix (per router) and a counter.
class IdSource {
 public:
  IdSource() {
    std::random_device rd;
    prefix_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }
  std::string next() {
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(prefix_),
                  static_cast<unsigned long long>(counter_.fetch_add(1) + 1));
    return text;
  }

 private:
  std::uint64_t prefix_ = 0;
  std::atomic<std::uint64_t> counter_{0};
};

struct Api {
  RestOptions options;
  std::string expected_authorization;
  ActionStore& actions;
  ActivationStore& activations;
  Invoker& invoker;
  Metrics& metrics;
  IdSource transaction_ids;
  IdSource activation_ids;
  Activator activator;
  TriggerStore& triggers;
  Counter& unauthorized;
  Counter& throttled;
  Counter& bad_requests;
  Counter& syntax_errors;

  Api(const RestOptions& o, ActionStore& a, ActivationStore& s, Invoker& i, Metrics& m,
      TriggerStore& t)
      : options(o),
        expected_authorization(basic_authorization(o.auth)),
        actions(a),
        activations(s),
        invoker(i),
        metrics(m),
        activator(a, s, i, [this] { return activation_ids.next(); }),
        triggers(t),
        unauthorized(m.counter("snet_whisk_rejected_total", "Requests refused, by reason",
                               "reason=\"unauthorized\"")),
        throttled(m.counter("snet_whisk_rejected_total", "", "reason=\"throttled\"")),
        bad_requests(m.counter("snet_whisk_rejected_total", "", "reason=\"bad_request\"")),
        syntax_errors(m.counter("snet_whisk_rejected_total", "", "reason=\"syntax_error\"")) {}

  Response error(int status, const std::string& text) {
    if (status == 400) bad_requests.add();
    return http::json_response(status, {{"error", text}, {"code", transaction_ids.next()}});
  }

  // Authentication and namespace check shared by every /api/v1 route; nullopt: go ahead.
  std::optional<Response> refuse(const Request& request) {
    const std::string given = request.header("authorization");
    if (given != expected_authorization) {
      unauthorized.add();
      Response r = error(401, given.empty() ? kAuthMissing : kAuthInvalid);
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"whisk rest service\"");
      return r;
    }
    if (auto it = request.params.find("ns"); it != request.params.end()) {
      if (it->second != "_" && it->second != options.ns) return error(403, kForbidden);
    }
    return std::nullopt;
  }

  long query_number(const Request& request, const char* key, long fallback, long max) {
    auto it = request.query.find(key);
    if (it == request.query.end()) return fallback;
    try {
      std::size_t used = 0;
      const long v = std::stol(it->second, &used);
      if (used != it->second.size() || v < 0) throw std::invalid_argument(key);
      return std::min(v, max);
    } catch (const std::exception&) {
      throw std::invalid_argument(std::string("The value '") + it->second +
                                  "' is not an integer for " + key + ".");
    }
  }

  bool query_true(const Request& request, const char* key) {
    auto it = request.query.find(key);
    return it != request.query.end() && it->second == "true";
  }

  // ---- Actions -----------------------------------------------------------------------------

  Response list_actions(const Request& request) {
    return listing(request, "actions", actions.list(),
                   [](const auto& action) { return action->to_json(false); });
  }

  Response get_action(const Request& request) {
    auto action = actions.find(request.params.at("name"));
    if (!action) return error(404, kNotFound);
    auto it = request.query.find("code");
    return http::json_response(200,
                               action->to_json(it == request.query.end() || it->second != "false"));
  }

  Response delete_action(const Request& request) {
    auto removed = actions.remove(request.params.at("name"));
    if (!removed) return error(404, kNotFound);
    invoker.retire(removed->name);
    return http::json_response(200, removed->to_json());
  }

  void put_action(const Request& request, Reply reply) {
    const std::string name = request.params.at("name");
    if (!valid_name(name)) return reply(error(400, kIllegalName));
    const auto body = json::parse(request.body, nullptr, false);
    if (body.is_discarded()) {
      return reply(error(400, "The request content was malformed: the body is not JSON"));
    }
    const bool overwrite = query_true(request, "overwrite");
    auto existing = actions.find(name);
    if (existing && !overwrite) return reply(error(409, kExists));
    Action action;
    try {
      action = parse_action_put(body, options.ns, name, existing.get());
    } catch (const BadAction& e) {
      return reply(error(400, e.what()));
    }
    auto commit = [this, overwrite, replaced = existing != nullptr](Action checked, Reply done) {
      if (!overwrite && actions.find(checked.name)) return done(error(409, kExists));
      auto stored = actions.put(std::move(checked));
      if (replaced) invoker.retire(stored->name);
      log::info("action '", stored->name, "' ", replaced ? "updated" : "created", " (",
                stored->kind, ", timeout ", stored->limits.timeout_ms, " ms, concurrency ",
                stored->limits.concurrency, ")");
      done(http::json_response(200, stored->to_json()));
    };
    if (action.is_sequence()) {
      if (auto problem = activator.check_sequence(action)) return reply(error(400, *problem));
      return commit(std::move(action), std::move(reply));
    }
    if (action.binary) {
      if (existing && existing->binary && existing->code == action.code) {
        action.archive = existing->archive;
      } else {
        try {
          action.archive = ActionArchive::unpack(action.code, options.work_dir + "/actions");
        } catch (const std::exception& e) {
          return reply(error(400, e.what()));
        }
      }
      return commit(std::move(action), std::move(reply));
    }
    if (existing && !existing->binary && existing->code == action.code)
      return commit(std::move(action), std::move(reply));
    const std::string code = action.code;
    invoker.check(name, code,
                  [this, action = std::move(action), reply = std::move(reply),
                   commit = std::move(commit)](std::optional<std::string> problem) mutable {
                    if (problem) {
                      syntax_errors.add();
                      return reply(error(
                          400, "The action '" + action.name + "' does not compile: " + *problem));
                    }
                    commit(std::move(action), std::move(reply));
                  });
  }

  void invoke_action(const Request& request, Reply reply) {
    auto action = actions.find(request.params.at("name"));
    if (!action) return reply(error(404, kNotFound));
    json payload = json::object();
    if (!request.body.empty()) {
      payload = json::parse(request.body, nullptr, false);
      if (payload.is_discarded() || !payload.is_object()) {
        return reply(
            error(400, "The request content was malformed: parameters must be a JSON object"));
      }
    }
    const bool blocking = query_true(request, "blocking");
    const bool result_only = query_true(request, "result");
    const long max_wait = static_cast<long>(options.blocking_wait.count());
    const auto wait = std::chrono::milliseconds(
        blocking ? query_number(request, "timeout", max_wait, max_wait) : 0);
    const std::string id = activation_ids.next();
    const bool accepted = activator.start(
        action, payload, id, wait,
        [reply, id, result_only](std::shared_ptr<const ActivationRecord> record) {
          Response r;
          if (!record) {  // non-blocking, or the blocking wait ran out: the activation goes on
            r = http::json_response(202, {{"activationId", id}});
          } else {
            const int status = record->success()                  ? 200
                               : record->status == kInternalError ? 500
                                                                  : 502;
            r = http::json_response(status, result_only ? record->result : record->to_json());
          }
          r.headers.emplace_back("x-openwhisk-activation-id", id);
          reply(std::move(r));
        });
    if (!accepted) {
      throttled.add();
      reply(error(429, "Too many concurrent requests in flight (count: " +
                           std::to_string(invoker.in_flight()) +
                           ", allowed: " + std::to_string(invoker.max_in_flight()) + ")."));
    }
  }

  // ---- Triggers and rules ------------------------------------------------------------------

  // A PUT or POST body: {} when empty; nullopt when it is not a JSON object.
  static std::optional<json> body_object(const Request& request) {
    if (request.body.empty()) return json::object();
    auto body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return std::nullopt;
    return body;
  }

  // A collection's page (limit, skip), or with count=true {"<collection>": how many after skip}.
  template <typename Item, typename ToJson>
  Response listing(const Request& request, const char* collection, const std::vector<Item>& items,
                   ToJson to_json) {
    const long limit = query_number(request, "limit", kListDefault, kListMax);
    const long skip = query_number(request, "skip", 0, 1L << 30);
    if (query_true(request, "count")) {
      const long total = static_cast<long>(items.size());
      return http::json_response(200, {{collection, std::max(0L, total - skip)}});
    }
    json out = json::array();
    long index = 0;
    for (const auto& item : items) {
      if (index++ < skip) continue;
      if (limit != 0 && static_cast<long>(out.size()) >= limit) break;
      out.push_back(to_json(item));
    }
    return http::json_response(200, out);
  }

  Response put_trigger(const Request& request) {
    const std::string name = request.params.at("name");
    if (!valid_name(name)) return error(400, kIllegalName);
    const auto body = body_object(request);
    if (!body) return error(400, "The request content was malformed: the body is not JSON");
    try {
      return http::json_response(
          200, triggers.put_trigger(name, *body, query_true(request, "overwrite")).to_json());
    } catch (const EntityError& e) {
      return error(e.status, e.what());
    }
  }

  Response get_trigger(const Request& request) {
    auto trigger = triggers.trigger(request.params.at("name"));
    return trigger ? http::json_response(200, trigger->to_json()) : error(404, kNotFound);
  }

  Response delete_trigger(const Request& request) {
    auto trigger = triggers.remove_trigger(request.params.at("name"));
    return trigger ? http::json_response(200, trigger->to_json()) : error(404, kNotFound);
  }

  // POST .../triggers/{name}: each active rule's action is invoked (non-blocking) with the
  // trigger's parameters under the payload; the trigger's activation lists the outcomes.
  // No active rule: 204 and no activation, as OpenWhisk.
  Response fire_trigger(const Request& request) {
    auto trigger = triggers.trigger(request.params.at("name"));
    if (!trigger) return error(404, kNotFound);
    const auto payload = body_object(request);
    if (!payload) {
      return error(400, "The request content was malformed: parameters must be a JSON object");
    }
    const bool any_active =
        std::any_of(trigger->rules.begin(), trigger->rules.end(),
                    [](const auto& r) { return r.second.status == kRuleActive; });
    if (!any_active) return Response{204, "application/json", "", {}};
    json args = json::object();
    for (const auto& p : trigger->parameters) args[p["key"].get<std::string>()] = p["value"];
    for (const auto& [key, value] : payload->items()) args[key] = value;
    auto record = std::make_shared<ActivationRecord>();
    record->id = activation_ids.next();
    record->ns = options.ns;
    record->name = trigger->name;
    record->version = trigger->version;
    record->kind.clear();  // a trigger's activation: no kind, no end, no duration
    record->start_ms = now_us() / 1000;
    record->result = *payload;
    for (const auto& [rule, link] : trigger->rules) {
      json outcome = {{"rule", rule}, {"action", link.action.substr(1)}};
      auto action = actions.find(link.action.substr(link.action.rfind('/') + 1));
      std::string failure;
      if (link.status != kRuleActive) {
        failure = "Rule '" + rule + "' is inactive, action '" + link.action.substr(1) +
                  "' was not activated.";
      } else if (!action) {
        failure = kNotFound;
      } else {
        const std::string id = activation_ids.next();
        if (activator.start(action, args, id, std::chrono::milliseconds(0), [](auto) {})) {
          outcome["activationId"] = id;
        } else {
          throttled.add();
          failure = "Too many concurrent requests in flight.";
        }
      }
      outcome["statusCode"] = failure.empty() ? 0 : 1;
      outcome["success"] = failure.empty();
      if (!failure.empty()) outcome["error"] = failure;
      record->logs.push_back(outcome.dump());
    }
    activations.put(record);
    Response r = http::json_response(202, {{"activationId", record->id}});
    r.headers.emplace_back("x-openwhisk-activation-id", record->id);
    return r;
  }

  Response put_rule(const Request& request) {
    const std::string name = request.params.at("name");
    if (!valid_name(name)) return error(400, kIllegalName);
    const auto body = body_object(request);
    if (!body) return error(400, "The request content was malformed: the body is not JSON");
    try {
      auto [rule, status] =
          triggers.put_rule(name, *body, query_true(request, "overwrite"), actions);
      return http::json_response(200, rule.to_json(status));
    } catch (const EntityError& e) {
      return error(e.status, e.what());
    }
  }

  Response get_rule(const Request& request) {
    auto rule = triggers.rule(request.params.at("name"));
    return rule ? http::json_response(200, rule->first.to_json(rule->second))
                : error(404, kNotFound);
  }

  Response delete_rule(const Request& request) {
    auto rule = triggers.remove_rule(request.params.at("name"));
    return rule ? http::json_response(200, rule->to_json(kRuleInactive)) : error(404, kNotFound);
  }

  // POST .../rules/{name} {"status": "active"|"inactive"}: 200 with no body, as OpenWhisk.
  Response set_rule_status(const Request& request) {
    const auto body = body_object(request);
    if (!body || !body->contains("status") || !(*body)["status"].is_string()) {
      return error(400, "The request content was malformed: status must be active or inactive");
    }
    try {
      triggers.set_rule_status(request.params.at("name"), (*body)["status"].get<std::string>());
      return Response{200, "application/json", "", {}};
    } catch (const EntityError& e) {
      return error(e.status, e.what());
    }
  }

  // ---- Activations -------------------------------------------------------------------------

  Response list_activations(const Request& request) {
    const long limit = query_number(request, "limit", kListDefault, kListMax);
    const long skip = query_number(request, "skip", 0, 1L << 30);
    auto it = request.query.find("name");
    const std::string name = it == request.query.end() ? "" : it->second;
    const bool docs = query_true(request, "docs");
    if (query_true(request, "count")) {
      if (docs) return error(400, "The parameter 'docs' is not permitted with 'count'.");
      const auto all = activations.list(activations.size(), static_cast<std::size_t>(skip), name);
      return http::json_response(200, {{"activations", all.size()}});
    }
    json out = json::array();
    for (const auto& record :
         activations.list(static_cast<std::size_t>(limit == 0 ? kListMax : limit),
                          static_cast<std::size_t>(skip), name)) {
      out.push_back(record->to_json(docs));
    }
    return http::json_response(200, out);
  }

  Response get_activation(const Request& request, const std::string& part) {
    auto record = activations.find(request.params.at("id"));
    if (!record) return error(404, kNotFound);
    if (part == "result") {
      return http::json_response(200, record->to_json()["response"]);
    }
    if (part == "logs") return http::json_response(200, {{"logs", record->logs}});
    return http::json_response(200, record->to_json());
  }
};

// Wraps a synchronous handler with the auth check and turns bad query values into 400s.
http::AsyncHandler guarded(const std::shared_ptr<Api>& api,
                           std::function<Response(Api&, const Request&)> handler) {
  return [api, handler = std::move(handler)](Request request, Reply reply) {
    if (auto refusal = api->refuse(request)) return reply(std::move(*refusal));
    try {
      reply(handler(*api, request));
    } catch (const std::invalid_argument& e) {
      reply(api->error(400, e.what()));
    }
  };
}

http::AsyncHandler guarded_async(const std::shared_ptr<Api>& api,
                                 std::function<void(Api&, const Request&, Reply)> handler) {
  return [api, handler = std::move(handler)](Request request, Reply reply) {
    if (auto refusal = api->refuse(request)) return reply(std::move(*refusal));
    try {
      handler(*api, request, reply);
    } catch (const std::invalid_argument& e) {
      reply(api->error(400, e.what()));
    }
  };
}

}  // namespace

std::string basic_authorization(const std::string& auth) {
  return "Basic " + base64(auth);
}

http::Router make_router(const RestOptions& options, ActionStore& actions,
                         ActivationStore& activations, Invoker& invoker, Metrics& metrics,
                         TriggerStore& triggers) {
  auto api = std::make_shared<Api>(options, actions, activations, invoker, metrics, triggers);
  const std::string ns = "/api/v1/namespaces/{ns}";
  http::Router router;
  router.route("GET", "/ping", [](const Request&) { return http::text_response(200, "pong"); });
  router.route("GET", "/metrics", [&metrics](const Request&) {
    return http::text_response(200, metrics.prometheus(), "text/plain; version=0.0.4");
  });
  router.route_async("GET", "/api/v1/namespaces", guarded(api, [](Api& a, const Request&) {
                       return http::json_response(200, json::array({a.options.ns}));
                     }));
  router.route_async("GET", ns + "/actions",
                     guarded(api, [](Api& a, const Request& r) { return a.list_actions(r); }));
  router.route_async("GET", ns + "/actions/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.get_action(r); }));
  router.route_async("DELETE", ns + "/actions/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.delete_action(r); }));
  router.route_async("PUT", ns + "/actions/{name}",
                     guarded_async(api, [](Api& a, const Request& r, Reply reply) {
                       a.put_action(r, std::move(reply));
                     }));
  router.route_async("POST", ns + "/actions/{name}",
                     guarded_async(api, [](Api& a, const Request& r, Reply reply) {
                       a.invoke_action(r, std::move(reply));
                     }));
  router.route_async("GET", ns + "/activations",
                     guarded(api, [](Api& a, const Request& r) { return a.list_activations(r); }));
  router.route_async("GET", ns + "/activations/{id}", guarded(api, [](Api& a, const Request& r) {
                       return a.get_activation(r, "");
                     }));
  router.route_async(
      "GET", ns + "/activations/{id}/result",
      guarded(api, [](Api& a, const Request& r) { return a.get_activation(r, "result"); }));
  router.route_async(
      "GET", ns + "/activations/{id}/logs",
      guarded(api, [](Api& a, const Request& r) { return a.get_activation(r, "logs"); }));
  router.route_async("GET", ns + "/triggers", guarded(api, [](Api& a, const Request& r) {
                       return a.listing(r, "triggers", a.triggers.triggers(),
                                        [](const Trigger& t) { return t.to_json(); });
                     }));
  router.route_async("GET", ns + "/triggers/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.get_trigger(r); }));
  router.route_async("PUT", ns + "/triggers/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.put_trigger(r); }));
  router.route_async("DELETE", ns + "/triggers/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.delete_trigger(r); }));
  router.route_async("POST", ns + "/triggers/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.fire_trigger(r); }));
  router.route_async("GET", ns + "/rules", guarded(api, [](Api& a, const Request& r) {
                       return a.listing(r, "rules", a.triggers.rules(), [](const auto& rule) {
                         return rule.first.to_json(rule.second);
                       });
                     }));
  router.route_async("GET", ns + "/rules/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.get_rule(r); }));
  router.route_async("PUT", ns + "/rules/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.put_rule(r); }));
  router.route_async("DELETE", ns + "/rules/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.delete_rule(r); }));
  router.route_async("POST", ns + "/rules/{name}",
                     guarded(api, [](Api& a, const Request& r) { return a.set_rule_status(r); }));
  router.fallback([api](Request, Reply reply) { reply(api->error(404, kNoRoute)); });
  return router;
}

}  // namespace snet::whisk
