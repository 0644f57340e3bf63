// snet compose-credentials: what docker-compose.yml's one-shot `credentials` service runs (see
// compose_credentials.hpp).
#include "compose_credentials.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "commands.hpp"
#include "snet/atomic_file.hpp"
#include "snet/flags.hpp"
#include "snet/http_guard.hpp"
#include "snet/topology.hpp"
#include "topology_path.hpp"

namespace snet::cli {
namespace {
namespace fs = std::filesystem;

Flags credentials_flags() {
  Flags flags("snet compose-credentials",
              "Writes the Docker stack's broker logins (a password per service and device, "
              "Mosquitto's hashed password file and ACL) and the state API's token into --dir, "
              "the volume docker-compose.yml's `credentials` service mounts; keeps what an "
              "earlier run made.");
  flags.add("topology", "SNET_TOPOLOGY", "topology/single.json", "topology file or name")
      .add("dir", "", "/data/secrets", "folder to write (the credentials volume)")
      .add("broker-dir", "", "/mosquitto/secrets",
           "where the broker's container mounts that volume (named in snet.conf)")
      .add("broker-group", "", "",
           "numeric group id that may read mosquitto/ (the broker's group_add); empty: owner only")
      .add("agents", "SNET_COMPOSE_AGENTS", "",
           "more agent services, comma-separated (a `snet compose` override's agent-<id>)")
      .add("bind", "SNET_BIND_ADDRESS", "127.0.0.1",
           "host address the stack's ports are published on: anonymous MQTT clients only when it "
           "is a loopback address")
      .add("dashboard-port", "SNET_DASHBOARD_PORT", "8080",
           "host port of the dashboard (for the address printed)");
  return flags;
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) names.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  for (const auto& name : names) {
    // A name becomes a broker user, a file name and a status topic.
    if (name.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
        std::string::npos) {
      throw UsageError("--agents: '" + name + "' may hold only letters, digits, '-' and '_'");
    }
  }
  return names;
}

// Gives `path` to group `gid` with `mode` (the credentials service is a member of it).
void share_with_group(const std::string& path, gid_t gid, mode_t mode) {
  if (::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0 || ::chmod(path.c_str(), mode) != 0) {
    throw std::runtime_error("cannot give " + path + " to group " + std::to_string(gid) +
                             " (is this process a member? group_add)");
  }
}

}  // namespace

std::vector<ServiceAccount> compose_service_accounts(const std::vector<std::string>& agents) {
  std::vector<ServiceAccount> services = {{"relayer", ServiceRole::relayer},
                                          {"state", ServiceRole::state},
                                          {"agent", ServiceRole::agent},
                                          {"whisk", ServiceRole::whisk}};
  for (const auto& agent : agents) {
    if (agent != "agent") services.push_back({agent, ServiceRole::agent});
  }
  return services;
}

std::string mosquitto_auth_conf(const std::string& broker_dir, bool allow_anonymous) {
  return "# Written by `snet compose-credentials` (cli/compose_credentials.hpp); included by\n"
         "# the broker image's configuration.\n"
         "password_file " +
         broker_dir + "/mosquitto/passwd\nacl_file " + broker_dir +
         "/mosquitto/acl\n"
         "# Anonymous clients may press, read states and readings (the ACL), and connect only "
         "while the\n"
         "# port is published on loopback.\n"
         "allow_anonymous " +
         (allow_anonymous ? "true" : "false") + "\n";
}

int compose_credentials_command(int argc, const char* const* argv, int first) {
  Flags flags = credentials_flags();
  std::vector<std::string> agents;
  long group = -1;
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    if (!flags.positional().empty()) throw UsageError("takes no positional arguments");
    agents = split_names(flags.str("agents"));
    if (!flags.str("broker-group").empty()) group = flags.integer("broker-group", 0, 2147483647);
    (void)flags.integer("dashboard-port", 1, 65535);
  } catch (const UsageError& e) {
    std::cerr << "snet compose-credentials: " << e.what() << "\n";
    return 2;
  }
  Topology topology;
  try {
    topology = load_topology(resolve_topology_path(flags.str("topology")));
  } catch (const TopologyError& e) {
    std::cerr << "snet compose-credentials: " << e.what() << "\n";
    return 1;
  }
  const std::string dir = flags.str("dir");
  const bool anonymous = http::is_loopback_bind(flags.str("bind"));
  std::string token;
  try {
    const BrokerAccounts accounts = prepare_broker_accounts(
        topology, compose_service_accounts(agents), dir, dir + "/mosquitto");
    const std::string conf = dir + "/mosquitto/snet.conf";
    write_file_atomically(conf, mosquitto_auth_conf(flags.str("broker-dir"), anonymous), 0600);
    if (group >= 0) {
      const auto gid = static_cast<gid_t>(group);
      share_with_group(dir, gid, 0750);
      share_with_group(dir + "/mosquitto", gid, 0750);
      for (const auto& file : {accounts.mosquitto_password_file, accounts.mosquitto_acl_file, conf})
        share_with_group(file, gid, 0640);
    }
    token = http::ensure_token_file(dir + "/http-token");
  } catch (const std::exception& e) {
    std::cerr << "snet compose-credentials: " << e.what() << "\n";
    return 1;
  }
  std::cout << "broker logins for topology '" << topology.name << "' in " << dir
            << "/credentials (services: SNET_BROKER_PASSWORD_FILE); anonymous MQTT clients "
            << (anonymous ? "may only press and read states and readings"
                          : "are refused (the ports are published beyond loopback)")
            << "\n";
  const std::string host = anonymous ? flags.str("bind") : "<this host>";
  std::cout << "dashboard: http://" << host << ":" << flags.str("dashboard-port")
            << "/#token=" << token << "  (changes need the token; also in " << dir << "/http-token)"
            << std::endl;
  return 0;
}

}  // namespace snet::cli
