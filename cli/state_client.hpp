// How the CLI's live commands (`snet ctl`, `snet link`) reach the state service's API: the URL
// from --url / $SNET_URL, else the http_url of <data-dir>/run.json (`snet up` writes it), else
// --url's default; and one call whose failures are printed as the API worded them.
// Thread safety: reentrant.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "snet/flags.hpp"

namespace snet::cli {

/// The state service's base URL (no trailing '/'); `flags` declares "url" and "data-dir".
std::string state_service_url(const Flags& flags);

/// Calls `method base+path` with a JSON `body` (may be empty). Returns the answer's JSON object,
/// or nullopt after printing "<program>: <why>" to `err` (no answer, an error status with the
/// API's error text and the status, or an answer without JSON).
std::optional<nlohmann::json> call_state_api(const std::string& program, const std::string& method,
                                             const std::string& base, const std::string& path,
                                             const std::string& body,
                                             std::chrono::milliseconds timeout, std::ostream& err);

}  // namespace snet::cli
