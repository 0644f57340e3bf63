#include "openwhisk_config.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "curl_util.hpp"
#include "whisk_defaults.hpp"

namespace snet::openwhisk {

std::string default_wskprops_path() {
  if (const char* file = std::getenv("WSK_CONFIG_FILE"); file != nullptr && *file != '\0') {
    return file;
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.wskprops";
}

OpenWhiskConfig read_wskprops(const std::string& path) {
  OpenWhiskConfig out;
  std::ifstream in(path);
  if (!in) return out;  // wsk treats a missing file as "nothing configured"
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t");
      const auto e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    const std::string key = trim(line.substr(0, eq));
    const std::string value = trim(line.substr(eq + 1));
    if (key == "APIHOST") out.apihost = value;
    if (key == "AUTH") out.auth = value;
    if (key == "NAMESPACE") out.ns = value;
  }
  if (in.bad()) throw std::runtime_error("cannot read wsk properties file " + path);
  return out;
}

OpenWhiskConfig openwhisk_config_from_env() {
  auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : "");
  };
  return {env("OPENWHISK_APIHOST"), env("OPENWHISK_AUTH"), env("OPENWHISK_NAMESPACE")};
}

OpenWhiskConfig merge_openwhisk_config(OpenWhiskConfig given, const OpenWhiskConfig& env,
                                       const OpenWhiskConfig& wskprops,
                                       const OpenWhiskConfig& defaults) {
  for (const OpenWhiskConfig* layer : {&env, &wskprops, &defaults}) {
    if (given.apihost.empty()) given.apihost = layer->apihost;
    if (given.auth.empty()) given.auth = layer->auth;
    if (given.ns.empty()) given.ns = layer->ns;
  }
  return given;
}

OpenWhiskConfig bundled_openwhisk_defaults() {
  return {kDefaultApiHost, kDevAuth, "_"};
}

OpenWhiskConfig resolve_openwhisk_config(OpenWhiskConfig given, const std::string& wskprops_path) {
  OpenWhiskConfig out =
      merge_openwhisk_config(std::move(given), openwhisk_config_from_env(),
                             read_wskprops(wskprops_path), bundled_openwhisk_defaults());
  out.apihost = normalize_apihost(out.apihost);
  return out;
}

}  // namespace snet::openwhisk
