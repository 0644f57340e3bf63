#include "actions_command.hpp"

#include <ostream>
#include <string>
#include <vector>

#include "deploy.hpp"
#include "openwhisk_config.hpp"
#include "snet/flags.hpp"
#include "whisk_key.hpp"

namespace snet::cli {
// The command is a thin layer over the OpenWhisk client.
using namespace snet::openwhisk;

int actions_command(int argc, const char* const* argv, int first, std::ostream& out,
                    std::ostream& err) {
  Flags flags("snet actions deploy [DIR]",
              "Creates or updates one OpenWhisk action per DIR/*.js (default DIR: actions), as "
              "`wsk action update NAME FILE` would.");
  flags
      .add("apihost", "OPENWHISK_APIHOST", "",
           "OpenWhisk API host (default: APIHOST of ~/.wskprops or $WSK_CONFIG_FILE, else "
           "snet-whisk on http://127.0.0.1:3233)")
      .add("auth", "OPENWHISK_AUTH", "",
           "key uuid:key (default: AUTH of ~/.wskprops, else the key `snet up` generated for "
           "its snet-whisk in <data-dir>/whisk/whisk.auth, else OpenWhisk's guest key)")
      .add("data-dir", "SNET_DATA_DIR", "data", "the data directory of `snet up`")
      .add("namespace", "OPENWHISK_NAMESPACE", "",
           "namespace (default: NAMESPACE of ~/.wskprops, else _)")
      .add_switch("insecure", "OPENWHISK_INSECURE",
                  "-i: accept a self-signed TLS certificate (as wsk -i)");
  // The subcommand first; -i is wsk's spelling of --insecure (Flags knows long names only).
  std::vector<std::string> args = {"snet", "actions"};
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    args.push_back(arg == "-i" ? "--insecure" : arg);
  }
  std::vector<const char*> args_c;
  for (const auto& arg : args) args_c.push_back(arg.c_str());
  const int count = static_cast<int>(args_c.size());
  std::string dir = "actions";
  OpenWhiskConfig config;
  try {
    for (const auto& arg : args) {
      if (arg == "--help" || arg == "-h") {
        out << flags.help();
        return 0;
      }
    }
    const std::string sub = count > 2 ? args[2] : "";
    if (!flags.parse(count, args_c.data(), 3)) return 0;
    if (sub != "deploy") {
      throw UsageError(sub.empty() ? "give a subcommand: snet actions deploy [DIR] (see --help)"
                                   : "unknown subcommand '" + sub + "' (use: deploy)");
    }
    if (flags.positional().size() > 1) throw UsageError("give at most one directory");
    if (!flags.positional().empty()) dir = flags.positional().front();
    OpenWhiskConfig given{flags.str("apihost"), flags.str("auth"), flags.str("namespace")};
    const auto layered = merge_openwhisk_config(given, openwhisk_config_from_env(),
                                                read_wskprops(default_wskprops_path()), {});
    // No key anywhere, and the server is (likely) the bundled snet-whisk: its generated key.
    const bool loopback = layered.apihost.empty() ||
                          layered.apihost.find("://127.0.0.1") != std::string::npos ||
                          layered.apihost.find("://localhost") != std::string::npos;
    if (layered.auth.empty() && loopback) {
      if (auto key = existing_data_dir_key(flags.str("data-dir") + "/whisk")) given.auth = *key;
    }
    config = resolve_openwhisk_config(given);
  } catch (const std::exception& e) {
    err << "snet actions: " << e.what() << "\n";
    return 2;
  }
  std::vector<DeployResult> results;
  try {
    results = deploy_actions(dir, config.apihost, config.auth, config.ns, flags.on("insecure"));
  } catch (const std::exception& e) {
    err << "snet actions deploy: " << e.what() << "\n";
    return 1;
  }
  if (results.empty()) {
    err << "snet actions deploy: no *.js files in " << dir << "\n";
    return 1;
  }
  int failed = 0;
  for (const auto& r : results) {
    if (r.ok) {
      out << "deployed " << r.name << " (" << r.file << ") to " << config.apihost << "\n";
    } else {
      ++failed;
      err << "FAILED " << r.name << " (" << r.file << "): " << r.error << "\n";
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace snet::cli
