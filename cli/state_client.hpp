// How the CLI's live commands (`snet ctl`, `snet link`) reach the state service's API: the URL
// from --url / $SNET_URL, else the http_url of the `snet up` running with --data-dir (its
// run.json, run_file.hpp); and one call whose failures are printed as the API worded them.
// Thread safety: reentrant.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snet/flags.hpp"

namespace snet::cli {

/// The state service's base URL (no trailing '/'); `flags` declares "url" (default "") and
/// "data-dir". nullopt, after printing why to `err`, when no URL is given and no `snet up` runs.
std::optional<std::string> state_service_url(const Flags& flags, const std::string& program,
                                             std::ostream& err);

/// <data-dir>/http-token: the state service's bearer token, made by `snet up` (mode 0600).
std::string http_token_file(const std::string& data_dir);

/// "Authorization: Bearer <token>" for the state API when a token is known: $SNET_HTTP_TOKEN,
/// else the token file of `flags`' data-dir when there is one (a state service bound to a
/// non-loopback address refuses changes without it). Prints why a token file is unusable.
std::vector<std::string> state_api_headers(const Flags& flags, const std::string& program,
                                           std::ostream& err);

/// Calls `method base+path` with a JSON `body` (may be empty) and extra `headers`. Returns the
/// answer's JSON object, or nullopt after printing "<program>: <why>" to `err` (no answer, an error
/// status with the API's error text and the status, or an answer without JSON).
std::optional<nlohmann::json> call_state_api(const std::string& program, const std::string& method,
                                             const std::string& base, const std::string& path,
                                             const std::string& body,
                                             std::chrono::milliseconds timeout, std::ostream& err,
                                             const std::vector<std::string>& headers = {});

}  // namespace snet::cli
