#include "action_check.hpp"

#include <chrono>
#include <stdexcept>

#include "curl_util.hpp"

namespace snet::openwhisk {

std::vector<std::string> missing_actions(const OpenWhiskConfig& server,
                                         const std::vector<std::string>& actions,
                                         bool insecure_tls) {
  std::vector<std::string> missing;
  for (const auto& action : actions) {
    const std::string url = entity_url(server.apihost, server.ns, "actions", action);
    const HttpReply reply =
        http_call("GET", url, server.auth, "", std::chrono::seconds(10), insecure_tls);
    if (reply.status == 200) continue;
    if (reply.status == 404) {
      missing.push_back(action);
      continue;
    }
    if (reply.status == 0) throw std::runtime_error("GET " + url + ": " + reply.error);
    throw std::runtime_error("GET " + url + ": HTTP " + std::to_string(reply.status) +
                             (reply.status == 401 || reply.status == 403
                                  ? " (the key or namespace is not accepted)"
                                  : ": " + reply.body.substr(0, 200)));
  }
  return missing;
}

}  // namespace snet::openwhisk
