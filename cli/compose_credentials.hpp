// The secrets of the Docker stack, written by its one-shot `credentials` service (`snet
// compose-credentials`) into the named volume that the other containers mount read-only, so
// that the stack gets what `snet up` gives its own Mosquitto (broker_accounts.hpp):
//
//   <dir>/credentials/   a password file per service (snet.<name>.password), devices.credentials,
//                        snet.up / snet.compute; 0700/0600, the services' user only
//   <dir>/mosquitto/     passwd (hashed), acl and snet.conf, which the broker image includes
//                        (include_dir): group-readable by --broker-group, which the broker's
//                        container gets with group_add; nobody else
//   <dir>/http-token     the state API's bearer token (0600)
//
// Generated once per volume and kept (a later run adds what a new topology or new agent
// containers need). The services read their password by file (SNET_BROKER_PASSWORD_FILE), so
// none is in an environment or a command line that `docker inspect` shows.
// Pure: compose_service_accounts(), mosquitto_auth_conf(). The command writes files.
#pragma once

#include <string>
#include <vector>

#include "broker_accounts.hpp"

namespace snet::cli {

/// The broker accounts of docker-compose.yml's services (relayer, state, agent, whisk) plus
/// `agents`, the agent containers of a `snet compose` override ("agent-button-1", ...).
std::vector<ServiceAccount> compose_service_accounts(const std::vector<std::string>& agents);

/// The Mosquitto configuration lines that turn the logins on: the password file and ACL as the
/// broker's container sees them (`broker_dir`), and whether anonymous clients (which the ACL
/// lets press and read states only) may connect at all: only while the broker's port is
/// published on loopback alone, as `snet up` does.
std::string mosquitto_auth_conf(const std::string& broker_dir, bool allow_anonymous);

}  // namespace snet::cli
