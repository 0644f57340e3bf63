// The link routes of the state service's control API (docs/api.md, "Links"):
//   GET /api/links        every link of the emulated network: file spec, effective spec,
//                         engines, traffic, presence (LinkTable::view())
//   PUT /api/links/{id}   a partial link spec; merged with the effective one, published as
//                         the link's retained LinkUpdate (QoS 1, answered once the broker has
//                         it) and recorded as a `fault` event like every control action
// Thread safety: as the control routes.
#pragma once

#include "control_api.hpp"
#include "snet/http_server.hpp"

namespace snet::state {

/// Adds the routes above; `context.links` must be set and outlive the router.
void add_link_routes(http::Router& router, const ControlContext& context);

}  // namespace snet::state
