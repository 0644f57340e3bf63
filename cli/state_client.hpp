// How the CLI's live commands (`snet ctl`, `snet link`) reach the state service's API: the URL
// from --url / $SNET_URL, else the http_url of the `snet up` running with --data-dir (its
// run.json, run_file.hpp); and one call whose failures are printed as the API worded them.
// Thread safety: reentrant.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "snet/flags.hpp"

namespace snet::cli {

/// The state service's base URL (no trailing '/'); `flags` declares "url" (default "") and
/// "data-dir". nullopt, after printing why to `err`, when no URL is given and no `snet up` runs.
std::optional<std::string> state_service_url(const Flags& flags, const std::string& program,
                                             std::ostream& err);

/// Calls `method base+path` with a JSON `body` (may be empty). Returns the answer's JSON object,
/// or nullopt after printing "<program>: <why>" to `err` (no answer, an error status with the
/// API's error text and the status, or an answer without JSON).
std::optional<nlohmann::json> call_state_api(const std::string& program, const std::string& method,
                                             const std::string& base, const std::string& path,
                                             const std::string& body,
                                             std::chrono::milliseconds timeout, std::ostream& err);

}  // namespace snet::cli
