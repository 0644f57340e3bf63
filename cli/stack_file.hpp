// The Docker Swarm stack file that `snet stack` writes (docker-stack.yml, checked in at the top of
// the repository): the services of docker-compose.yml in the form `docker stack deploy` takes.
// What differs from the compose file, and why:
//   - version "3.9" and images only (swarm builds nothing; no `build`, no `restart`);
//   - no depends_on (swarm ignores start order: every service retries its broker, and
//     restart_policy `any` restarts one that gave up, e.g. a relayer without the whisk key yet);
//   - endpoint_mode dnsrr and ports published in host mode: swarm's virtual IPs and its ingress
//     routing mesh need IPVS, which not every kernel has (this one has not);
//   - the topology and the broker's login configuration are swarm configs whose names carry a
//     hash of their content (configs are immutable: a changed file needs a new name);
//   - the broker logins and the API token are swarm secrets with uid/gid/mode (instead of a
//     shared volume and group_add), from the files `snet stack --credentials DIR` writes;
//   - agents are replicated: task slot K of N hosts shard K-1 of N (SNET_AGENT_SHARD
//     "slot:K/N", see agents/device_selection.hpp) as agent-K with login snet.agent-K; relayers
//     are replicated too (relayer-K, competing consumers of the presses).
// Thread safety: pure functions, except stack_file_options() (reads files).
#pragma once

#include <string>
#include <vector>

#include "broker_accounts.hpp"
#include "snet/topology.hpp"

namespace snet::cli {

struct StackFileOptions {
  std::string command_line;      // how the file was made, quoted in its header
  std::string topology_file;     // the topology, relative to the stack file's folder
  std::string topology_text;     // its content (hashed into the config's name)
  std::string broker_conf_file;  // Mosquitto's login configuration, likewise
  std::string broker_conf_text;
  int max_agents = 8;  // agent-1..N have logins (secrets); more replicas could not log in
  int max_relayers = 4;
};

/// The first 12 hex digits of the SHA-256 of `text` (what `sha256sum | cut -c1-12` prints).
std::string content_hash(const std::string& text);

/// The broker accounts of the stack's services: relayer-1..max_relayers, state, whisk and
/// agent-1..max_agents.
std::vector<ServiceAccount> stack_service_accounts(int max_agents, int max_relayers);

/// The stack file's YAML (accepted by `docker stack deploy` of Docker 20.10 and later).
std::string stack_file(const Topology& topology, const StackFileOptions& options);

/// Options naming `topology_path` and `broker_conf_path` relative to `stack_dir` (the stack
/// file's folder, from which `docker stack deploy` reads them), with their contents. Reads both
/// files; throws std::runtime_error naming one it cannot read.
StackFileOptions stack_file_options(const std::string& topology_path,
                                    const std::string& broker_conf_path,
                                    const std::string& stack_dir);

}  // namespace snet::cli
