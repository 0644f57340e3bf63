#include "link_api.hpp"

#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet::state {
namespace {

using http::error_response;
using http::json_response;
using http::Reply;
using http::Request;
using nlohmann::json;

http::Response get_links(const ControlContext& ctx, const Request& req) {
  if (!req.query.empty()) {
    return refuse(ctx, 400, "bad_query", "GET /api/links takes no query parameters");
  }
  return json_response(200, ctx.links->view());
}

void put_link(const ControlContext& ctx, const Request& req, Reply reply) {
  LinkTable& links = *ctx.links;
  const std::string id = req.params.at("id");
  if (auto refused = refuse_query_or_oversized(ctx, req, "PUT /api/links/{id}")) {
    return reply(std::move(*refused));
  }
  if (!links.emulated()) {
    return reply(refuse(ctx, 409, "not_emulated", links.view()["hint"].get<std::string>()));
  }
  if (!links.known(id)) {
    return reply(refuse(ctx, 404, "unknown_link",
                        "unknown link '" + id + "': not a site or device of topology '" +
                            ctx.topology.name + "' (GET /api/links lists them)"));
  }
  LinkPatch patch;
  try {
    patch = parse_link_patch(req.body);
  } catch (const BadMessage& bad) {
    return reply(refuse(ctx, 400, "bad_link", bad.what()));
  }
  if (!ctx.bus.connected()) {
    return reply(error_response(503, "the message bus is not connected; try again"));
  }
  LinkUpdate update;
  std::optional<LinkUpdate> previous;
  LinkSpec before;
  std::string detail;
  {
    // Read, merge and apply as one step: two PUTs of one link never merge onto the same base.
    auto serialised = links.lock_changes();
    previous = links.update_of(id);
    before = links.effective(id);
    update.link = id;
    update.spec = patch.applied_to(before);
    detail = link_change_text(before, update.spec);
    const EventRecord fault = record_fault(ctx, id, "link", "link", detail);
    update.id = fault.fault_id;
    update.ts = fault.fault_ts;
    links.apply_local(update);
  }
  json answer = {{"id", id},
                 {"spec", update.spec.to_json()},
                 {"previous", before.to_json()},
                 {"detail", detail},
                 {"fault_id", update.id}};
  Message message{topics::link_control_topic(ctx.topology.name, id), to_json(update), true, {}};
  ctx.bus.publish(
      std::move(message), Qos::at_least_once,
      [&links, update, previous, reply, answer = std::move(answer)](bool ok,
                                                                    const std::string& error) {
        if (!ok) {
          links.revert_local(update, previous);
          return reply(error_response(502, "publishing the link update failed: " + error));
        }
        reply(json_response(200, answer));
      });
}

}  // namespace

void add_link_routes(http::Router& router, const ControlContext& context) {
  const ControlContext* ctx = &context;
  router.route("GET", "/api/links", [ctx](const Request& req) { return get_links(*ctx, req); });
  router.route_async("PUT", "/api/links/{id}",
                     [ctx](Request req, Reply reply) { put_link(*ctx, req, std::move(reply)); });
}

}  // namespace snet::state
