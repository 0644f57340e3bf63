// Who may use snet-state's HTTP API: the request guard's settings (snet/http_guard.hpp) from
// the service's options, and GET /api/session, through which the dashboard learns the bearer
// token it needs for presses and control on a server reachable from other hosts.
// Thread safety: reentrant.
#pragma once

#include <nlohmann/json.hpp>

#include "snet/http_guard.hpp"
#include "state_service.hpp"

namespace snet::state {

/// The guard's options. When a token is required and none is given (StateOptions::token,
/// token_file), reads or creates <data_dir>/http-token (0600). Throws std::runtime_error naming
/// a token file that cannot be read or written.
http::GuardOptions guard_options(const StateOptions& options);

/// {"token_required": bool, "token": "..."}: the token only when one is required and the
/// request comes from this machine (a loopback peer) and from a page of this server's own origin
/// (a page of another origin could not read the answer anyway: no CORS). A browser elsewhere
/// gets it from the dashboard URL `snet up` prints (#token=...), which never reaches a server.
nlohmann::json session_view(const http::RequestGuard& guard, const http::Request& request);

}  // namespace snet::state
