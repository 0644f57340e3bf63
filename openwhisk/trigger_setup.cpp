#include "trigger_setup.hpp"

#include <chrono>
#include <stdexcept>

#include "curl_util.hpp"

namespace snet::openwhisk {
namespace {

void expect_ok(const std::string& method, const std::string& url, const OpenWhiskConfig& server,
               const nlohmann::json& body, bool insecure_tls) {
  const HttpReply reply =
      http_call(method, url, server.auth, body.dump(), std::chrono::seconds(10), insecure_tls);
  if (reply.status == 200) return;
  if (reply.status == 0) throw std::runtime_error(method + " " + url + ": " + reply.error);
  throw std::runtime_error(method + " " + url + ": HTTP " + std::to_string(reply.status) + ": " +
                           reply.body.substr(0, 300));
}

}  // namespace

std::string trigger_rule_name(const std::string& trigger, const std::string& action) {
  return trigger + "-" + action;
}

void ensure_trigger_rule(const OpenWhiskConfig& server, const std::string& trigger,
                         const std::string& action, const nlohmann::json& parameters,
                         bool insecure_tls) {
  nlohmann::json bound = nlohmann::json::array();
  for (const auto& [key, value] : parameters.items())
    bound.push_back({{"key", key}, {"value", value}});
  expect_ok("PUT", entity_url(server.apihost, server.ns, "triggers", trigger) + "?overwrite=true",
            server, {{"parameters", bound}}, insecure_tls);
  const std::string rule = trigger_rule_name(trigger, action);
  const std::string rule_url = entity_url(server.apihost, server.ns, "rules", rule);
  // Fully qualified, as wsk sends them ("_" is the key's own namespace on OpenWhisk too).
  expect_ok(
      "PUT", rule_url + "?overwrite=true", server,
      {{"trigger", "/" + server.ns + "/" + trigger}, {"action", "/" + server.ns + "/" + action}},
      insecure_tls);
  // An updated rule keeps its status: a rule someone disabled is enabled again.
  expect_ok("POST", rule_url, server, {{"status", "active"}}, insecure_tls);
}

}  // namespace snet::openwhisk
