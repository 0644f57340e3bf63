#include "whisk_fixture.hpp"

#include <algorithm>
#include <future>
#include <sstream>

#include <doctest/doctest.h>

#include "snet/clock.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"
#include "whisk_defaults.hpp"

namespace snet::test {

WhiskServer::WhiskServer(std::vector<std::string> extra) {
  port_ = free_port();
  std::vector<std::string> args = {"--http-port", std::to_string(port_), "--log-level", "debug"};
  if (std::find(extra.begin(), extra.end(), "--auth") == extra.end()) {
    args.insert(args.end(), {"--auth", auth()});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  service_ = std::make_unique<Service>("snet-whisk", args);
  const bool up = eventually([&] { return call("GET", "/ping").status == 200; }, 15s);
  INFO("snet-whisk log:\n", service_->log());
  REQUIRE(up);
}

std::string WhiskServer::auth() {
  return openwhisk::kDevAuth;
}

openwhisk::HttpReply WhiskServer::put_action(const std::string& name, const std::string& code,
                                             const nlohmann::json& limits) const {
  nlohmann::json body = {{"exec", {{"kind", "nodejs:default"}, {"code", code}}}};
  if (!limits.is_null()) body["limits"] = limits;
  return openwhisk::http_call(
      "PUT", openwhisk::entity_url(apihost(), "_", "actions", name) + "?overwrite=true", auth(),
      body.dump());
}

openwhisk::HttpReply WhiskServer::call(const std::string& method, const std::string& path,
                                       const std::string& body) const {
  return openwhisk::http_call(method, apihost() + path, auth(), body, 10s);
}

openwhisk::OpenWhiskOptions WhiskServer::client_options() const {
  openwhisk::OpenWhiskOptions options;
  options.server = {apihost(), auth(), "_"};
  options.deadline = 15s;
  return options;
}

snet::ComputeResult invoke_and_wait(snet::Compute& compute, snet::ComputeRequest request,
                                    std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<snet::ComputeResult>>();
  auto future = promise->get_future();
  compute.invoke(std::move(request),
                 [promise](snet::ComputeResult result) { promise->set_value(std::move(result)); });
  const bool ready = future.wait_for(timeout) == std::future_status::ready;
  REQUIRE_MESSAGE(ready, "the compute did not call done within ", timeout.count(), " ms");
  return future.get();
}

long long metric_value(const std::string& prometheus, const std::string& series) {
  std::istringstream lines(prometheus);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stoll(line.substr(series.size() + 1));
  }
  return 0;
}

}  // namespace snet::test
