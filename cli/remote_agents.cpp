#include "remote_agents.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "external_devices.hpp"
#include "snet/atomic_file.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/file_modes.hpp"
#include "snet/flags.hpp"
#include "snet/net.hpp"

namespace snet::cli {

BrokerBinds parse_broker_binds(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (item.empty()) throw UsageError("--mqtt-bind: '" + text + "' has an empty address");
    if (std::find(items.begin(), items.end(), item) != items.end()) {
      throw UsageError("--mqtt-bind: '" + item + "' is given twice");
    }
    items.push_back(item);
  }
  if (items.empty()) throw UsageError("--mqtt-bind: give at least one address");
  return {items.front(), std::vector<std::string>(items.begin() + 1, items.end())};
}

bool loopback_host(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "::1" || host == "localhost";
}

std::string address_for_other_hosts(const BrokerBinds& binds) {
  std::vector<std::string> all = {binds.first};
  all.insert(all.end(), binds.more.begin(), binds.more.end());
  for (const auto& address : all) {
    if (address == "0.0.0.0" || address == "::") return "<this-host>";
    if (!loopback_host(address)) return address;
  }
  return "";
}

std::string with_url_host(const std::string& url, const std::string& host) {
  const HostPort parsed = parse_url(url, 0);
  const auto authority = url.find("://") + 3;
  const auto path = url.find('/', authority);
  const std::string login = url.substr(authority, path - authority);
  const auto at = login.rfind('@');
  const std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string hosts;
  for (const auto& endpoint : parsed.endpoints) {
    hosts += (hosts.empty() ? "" : ",") + bracketed;
    if (endpoint.port != 0) hosts += ":" + std::to_string(endpoint.port);
  }
  return url.substr(0, authority) + (at == std::string::npos ? "" : login.substr(0, at + 1)) +
         hosts + (path == std::string::npos ? "" : url.substr(path));
}

RemoteAgent remote_agent(std::string name, std::vector<std::string> args,
                         std::map<std::string, std::string> env, const std::string& host,
                         const std::string& device_credentials) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--broker-url" || args[i] == "--mqtt-url") {
      args[i + 1] = with_url_host(args[i + 1], host);
    } else if (args[i] == "--device-credentials-file" && !device_credentials.empty()) {
      args[i + 1] = device_credentials;
    }
  }
  // An empty value means "not the environment's": the remote host has no such variable anyway.
  for (auto it = env.begin(); it != env.end();) it = it->second.empty() ? env.erase(it) : ++it;
  return {std::move(name), std::move(args), std::move(env)};
}

std::vector<std::string> shard_device_ids(const Topology& topology, int index, int count) {
  std::vector<std::string> played;
  for (const auto& device : topology.devices) {
    if (!device.external) played.push_back(device.id);
  }
  std::vector<std::string> ids;
  for (auto i = static_cast<std::size_t>(index); i < played.size();
       i += static_cast<std::size_t>(count)) {
    ids.push_back(played[i]);
  }
  return ids;
}

std::string write_shard_credentials(const std::string& devices_file, const std::string& dir,
                                    const std::string& agent, const std::vector<std::string>& ids) {
  const auto all = read_credentials_file(devices_file);
  std::map<std::string, std::string> mine;
  for (const auto& id : ids) {
    const auto it = all.find(id);
    if (it == all.end()) {
      throw std::invalid_argument(devices_file + ": no credentials for device '" + id + "'");
    }
    mine.insert(*it);
  }
  const std::string path = dir + "/" + agent + ".devices.credentials";
  write_file_atomically(path, format_credentials(mine), kSecretFileMode);
  return path;
}

std::string remote_agents_text(const std::vector<RemoteAgent>& agents) {
  std::ostringstream out;
  out << agents.size() << (agents.size() == 1 ? " agent runs" : " agents run")
      << " on other hosts (--remote-agents; docs/hosts.md): copy the topology and the files named "
         "below to the same paths there (or change them), then run on each its line:\n";
  for (const auto& agent : agents) {
    out << "  " << agent.name << ":";
    for (const auto& [key, value] : agent.env) out << " " << key << "=" << shell_word(value);
    out << " snet-agent";
    for (const auto& arg : agent.args) out << " " << shell_word(arg);
    out << "\n";
  }
  return out.str();
}

std::string remote_agents_path(const std::string& data_dir) {
  return data_dir + "/remote-agents.json";
}

void write_remote_agents(const std::string& data_dir, const std::vector<RemoteAgent>& agents) {
  nlohmann::json doc = nlohmann::json::array();
  for (const auto& agent : agents) {
    doc.push_back({{"name", agent.name}, {"args", agent.args}, {"env", agent.env}});
  }
  const std::string path = remote_agents_path(data_dir);
  std::ofstream out(path, std::ios::trunc);
  out << doc.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace snet::cli
