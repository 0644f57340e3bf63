#include "deploy.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "curl_util.hpp"

namespace snet::openwhisk {
namespace fs = std::filesystem;

namespace {

constexpr int kLimitsSearchLines = 20;
constexpr const char* kLimitsMarker = "// snet:limits ";

std::string error_of(const HttpReply& reply) {
  if (reply.status == 0) return reply.error;
  const auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (!json.is_discarded() && json.is_object() && json.contains("error") &&
      json["error"].is_string()) {
    return json["error"].get<std::string>();
  }
  return "HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 300);
}

}  // namespace

nlohmann::json action_put_body(const std::string& code) {
  nlohmann::json body = {{"exec", {{"kind", "nodejs:default"}, {"code", code}}}};
  std::istringstream lines(code);
  std::string line;
  for (int i = 0; i < kLimitsSearchLines && std::getline(lines, line); ++i) {
    const auto at = line.find(kLimitsMarker);
    if (at == std::string::npos) continue;
    const auto limits =
        nlohmann::json::parse(line.substr(at + std::string(kLimitsMarker).size()), nullptr, false);
    if (limits.is_discarded() || !limits.is_object()) {
      throw std::invalid_argument("line " + std::to_string(i + 1) +
                                  ": '// snet:limits' must be followed by a JSON object");
    }
    body["limits"] = limits;
    break;
  }
  return body;
}

std::vector<ActionFile> read_action_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw std::runtime_error("actions directory " + dir + " not found");
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".js") paths.push_back(entry.path());
  }
  if (ec) throw std::runtime_error("cannot list " + dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<ActionFile> files;
  for (const auto& path : paths) {
    ActionFile file{path.stem().string(), path.string(), "", ""};
    std::ifstream in(path);
    std::stringstream code;
    code << in.rdbuf();
    if (!in) file.error = "cannot read " + file.path;
    file.code = code.str();
    files.push_back(std::move(file));
  }
  return files;
}

std::vector<DeployResult> deploy_actions(const std::string& dir, const std::string& apihost,
                                         const std::string& auth, const std::string& ns,
                                         bool insecure_tls) {
  std::vector<DeployResult> results;
  for (const auto& file : read_action_files(dir)) {
    DeployResult result;
    result.name = file.name;
    result.file = file.path;
    result.error = file.error;
    if (!result.error.empty()) {
      results.push_back(std::move(result));
      continue;
    }
    try {
      nlohmann::json body = action_put_body(file.code);
      const std::string url = entity_url(apihost, ns, "actions", result.name) + "?overwrite=true";
      HttpReply reply =
          http_call("PUT", url, auth, body.dump(), std::chrono::seconds(30), insecure_tls);
      // limits.concurrency is a speed hint of our actions, and OpenWhisk deployments cap it
      // (Apache OpenWhisk's default maximum is 1, its standalone's 500): refused, the action is
      // deployed with the deployment's default instead.
      if (reply.status == 400 && body.contains("limits") &&
          body["limits"].contains("concurrency")) {
        body["limits"].erase("concurrency");
        reply = http_call("PUT", url, auth, body.dump(), std::chrono::seconds(30), insecure_tls);
      }
      result.status = reply.status;
      result.ok = reply.status == 200;
      if (!result.ok) result.error = "PUT " + url + ": " + error_of(reply);
    } catch (const std::invalid_argument& e) {
      result.error = result.file + ": " + e.what();
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace snet::openwhisk
