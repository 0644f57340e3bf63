#include "http_access.hpp"

#include <filesystem>

#include "snet/log.hpp"

namespace snet::state {

http::GuardOptions guard_options(const StateOptions& options) {
  http::GuardOptions guard;
  guard.bind_address = options.http_bind;
  guard.allowed_hosts = options.allowed_hosts;
  guard.allowed_origins = options.allowed_origins;
  guard.require_token = http::token_required(options.token_mode, options.http_bind);
  guard.token = options.token;
  if (guard.token.empty() && !options.token_file.empty()) {
    guard.token = http::read_token_file(options.token_file);
  }
  if (guard.require_token && guard.token.empty()) {
    const std::string file = (std::filesystem::path(options.data_dir) / "http-token").string();
    guard.token = http::ensure_token_file(file);
    log::info("POST, PUT and DELETE need 'Authorization: Bearer <token>' (the token is in ", file,
              ")");
  }
  return guard;
}

nlohmann::json session_view(const http::RequestGuard& guard, const http::Request& request) {
  nlohmann::json view = {{"token_required", guard.token_required()}};
  // Sec-Fetch-Site (sent by browsers): a request a page of another site caused gets nothing,
  // even though it could not read the answer.
  const std::string site = request.header("sec-fetch-site");
  const bool same_site = site.empty() || site == "same-origin" || site == "none";
  if (guard.token_required() && same_site && http::from_loopback(request) &&
      guard.origin_allowed(request)) {
    view["token"] = guard.options().token;
  }
  return view;
}

}  // namespace snet::state
