// The compose override that `snet compose` writes: one snet-agent container per device of a
// topology (service `device-<id>`, agent name `agent-<id>`), or per site (`--per site`: service
// `site-<id>`, agent `agent-site-<id>`, so that the devices of a site share their uplink), the
// all-in-one `agent` service of docker-compose.yml moved to a profile so that no device is hosted
// twice, and every service pointed at the same topology file (bind-mounted from the host,
// read-only). Sites become Docker networks (`site-<id>`, internal): a site's containers join
// only theirs, the brokers join every one, so `docker network disconnect` cuts a site.
// On Mosquitto each container logs in as its agent (snet.agent-<id>) and each device as itself,
// with the password files of the credentials volume (compose_credentials.hpp); the credentials
// service is told these agents (SNET_COMPOSE_AGENTS) and the broker recreated to load them.
// Thread safety: pure function.
#pragma once

#include <string>

#include "snet/topology.hpp"

namespace snet::cli {

struct ComposeOverrideOptions {
  std::string topology_host_path;  // absolute path of the topology file on the Docker host
  std::string command_line;        // how the file was made, quoted in its header
  bool per_site = false;           // one container per site instead of per device
};

/// Where the override mounts the topology inside every container.
inline constexpr const char* kContainerTopologyPath = "/etc/serverlessnet/topology.json";

/// The compose service name of a device ("device-button-1").
std::string device_service_name(const std::string& device_id);
/// The agent name (status topic, client id) of a device's own container ("agent-button-1").
std::string device_agent_name(const std::string& device_id);
/// The Docker network of a site ("site-building-a"), and of a site's container with --per site.
std::string site_network_name(const std::string& site_id);
/// The agent name of a site's container with --per site ("agent-site-building-a"); devices
/// without a site share "agent-core".
std::string site_agent_name(const std::string& site_id);

/// The override YAML, valid for Compose v2 and docker-compose v1.29.
std::string compose_override(const Topology& topology, const ComposeOverrideOptions& options);

}  // namespace snet::cli
