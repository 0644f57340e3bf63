// Agents on other hosts (`snet up --remote-agents`, docs/hosts.md): snet up makes the broker
// logins of agent-0..N-1 but starts none of them; each other host runs one `snet-agent --shard
// i/N` against the broker's address that host reaches. Here: the broker's listen addresses
// (--mqtt-bind A,B,...), the URLs rewritten to the reachable address, each agent's command (as
// text for the person and as <data-dir>/remote-agents.json for tools and tests).
// Thread safety: pure functions, except write_remote_agents (the file system).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "snet/topology.hpp"

namespace snet::cli {

/// --mqtt-bind "A[,B...]": the broker listens on each address with the same ports. `first` is
/// the one snet up's own clients use (so keep loopback first), `more` the others (e.g. the
/// address of this host that the agent hosts reach). Throws snet::UsageError naming an empty or
/// repeated address.
struct BrokerBinds {
  std::string first;
  std::vector<std::string> more;
};
BrokerBinds parse_broker_binds(const std::string& text);

/// Whether `host` is a loopback address (127.x, ::1, localhost): no other host reaches it.
bool loopback_host(const std::string& host);

/// The address other hosts reach the broker at: the first bind that is not loopback ("" when
/// every bind is loopback). A wildcard (0.0.0.0, ::) gives "<this-host>", which the person
/// replaces by the host's name or address.
std::string address_for_other_hosts(const BrokerBinds& binds);

/// `url` with every host of its authority replaced by `host`, keeping scheme, login, each port
/// and the path ("mqtt://u@127.0.0.1:1883" -> "mqtt://u@10.1.0.1:1883"). Throws
/// std::invalid_argument naming a URL parse_url refuses.
std::string with_url_host(const std::string& url, const std::string& host);

/// One agent another host runs: `snet-agent <args>` with `env` (its login's password file...).
struct RemoteAgent {
  std::string name;  // agent-i, or agent (one agent, no shard)
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
};
/// `args` are snet up's arguments for the agent (without the program); its "--broker-url" and
/// "--mqtt-url" values are rewritten to `host`, and "--device-credentials-file" becomes
/// `device_credentials` when that is not empty.
RemoteAgent remote_agent(std::string name, std::vector<std::string> args,
                         std::map<std::string, std::string> env, const std::string& host,
                         const std::string& device_credentials = "");

/// The ids of the devices agent `index` of `count` hosts: every count-th from the index-th of
/// the devices an agent plays (not external ones), in topology order, as snet-agent --shard
/// picks them (agents/device_selection.hpp; integration/hosts holds the two together).
std::vector<std::string> shard_device_ids(const Topology& topology, int index, int count);
/// Writes <dir>/<agent>.devices.credentials (0600): the lines of `devices_file` for `ids` only,
/// so that a host holds the passwords of its own devices, not the others'. Returns its path;
/// throws std::invalid_argument naming a device without a line.
std::string write_shard_credentials(const std::string& devices_file, const std::string& dir,
                                    const std::string& agent, const std::vector<std::string>& ids);

/// What snet up prints: for each agent the command to run on its host, and the files to copy.
std::string remote_agents_text(const std::vector<RemoteAgent>& agents);
/// <data_dir>/remote-agents.json: [{"name", "args", "env"}] (paths only, no secret). Throws
/// std::runtime_error naming the file when it cannot be written.
void write_remote_agents(const std::string& data_dir, const std::vector<RemoteAgent>& agents);
std::string remote_agents_path(const std::string& data_dir);

}  // namespace snet::cli
