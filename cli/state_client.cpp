#include "state_client.hpp"

#include <cstdlib>
#include <filesystem>

#include "run_file.hpp"
#include "snet/http_client.hpp"
#include "snet/http_guard.hpp"

namespace snet::cli {

std::optional<std::string> state_service_url(const Flags& flags, const std::string& program,
                                             std::ostream& err) {
  std::string base = flags.str("url");
  if (base.empty()) {
    const std::string data_dir =
        std::filesystem::absolute(flags.str("data-dir")).lexically_normal().string();
    const RunLookup lookup = find_running(data_dir);
    if (lookup.state != RunLookup::State::running || lookup.info.http_url.empty()) {
      err << no_running_message(program, data_dir, lookup, "--url URL") << "\n";
      return std::nullopt;
    }
    base = lookup.info.http_url;
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

std::string http_token_file(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "http-token").string();
}

std::vector<std::string> state_api_headers(const Flags& flags, const std::string& program,
                                           std::ostream& err) {
  std::string token;
  if (const char* given = std::getenv("SNET_HTTP_TOKEN")) token = given;
  const std::string file = http_token_file(flags.str("data-dir"));
  std::error_code ec;
  if (token.empty() && std::filesystem::exists(file, ec)) {
    try {
      token = http::read_token_file(file);
    } catch (const std::exception& e) {
      err << program << ": " << e.what() << " (sending no token)\n";
    }
  }
  if (token.empty()) return {};
  return {"Authorization: Bearer " + token};
}

std::optional<nlohmann::json> call_state_api(const std::string& program, const std::string& method,
                                             const std::string& base, const std::string& path,
                                             const std::string& body,
                                             std::chrono::milliseconds timeout, std::ostream& err,
                                             const std::vector<std::string>& headers) {
  const http::ClientReply reply = http::call(method, base + path, body, timeout, headers);
  if (reply.status == 0) {
    err << program << ": cannot reach the state service at " << base << ": " << reply.error << "\n";
    return std::nullopt;
  }
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (reply.status >= 300) {
    const bool worded = json.is_object() && json.contains("error") && json["error"].is_string();
    err << program << ": " << (worded ? json["error"].get<std::string>() : reply.body) << " (HTTP "
        << reply.status << ")\n";
    return std::nullopt;
  }
  if (!json.is_object()) {
    err << program << ": the state service answered " << reply.status << " without JSON\n";
    return std::nullopt;
  }
  return json;
}

}  // namespace snet::cli
