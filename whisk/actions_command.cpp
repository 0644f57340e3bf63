#include "actions_command.hpp"

#include <ostream>

#include "deploy.hpp"
#include "openwhisk_config.hpp"
#include "snet/flags.hpp"

namespace snet::whisk {

int actions_command(int argc, const char* const* argv, int first, std::ostream& out,
                    std::ostream& err) {
  Flags flags("snet actions deploy [DIR]",
              "Creates or updates one OpenWhisk action per DIR/*.js (default DIR: actions).");
  flags
      .add("apihost", "OPENWHISK_APIHOST", "",
           "OpenWhisk API host (default: APIHOST of ~/.wskprops, else snet-whisk on "
           "http://127.0.0.1:3233)")
      .add("auth", "OPENWHISK_AUTH", "",
           "key uuid:key (default: AUTH of ~/.wskprops, else "
           "snet-whisk's development key)")
      .add("namespace", "OPENWHISK_NAMESPACE", "",
           "namespace (default: NAMESPACE of ~/.wskprops, "
           "else _)");
  std::string dir = "actions";
  OpenWhiskConfig config;
  try {
    if (!flags.parse(argc, argv, first + 1)) return 0;
    const std::string sub = first < argc ? argv[first] : "";
    if (sub != "deploy") {
      throw UsageError(sub.empty() ? "give a subcommand: snet actions deploy [DIR]"
                                   : "unknown subcommand '" + sub + "' (use: deploy)");
    }
    if (flags.positional().size() > 1) throw UsageError("give at most one directory");
    if (!flags.positional().empty()) dir = flags.positional().front();
    config =
        resolve_openwhisk_config({flags.str("apihost"), flags.str("auth"), flags.str("namespace")});
  } catch (const std::exception& e) {
    err << "snet actions: " << e.what() << "\n";
    return 2;
  }
  std::vector<DeployResult> results;
  try {
    results = deploy_actions(dir, config.apihost, config.auth, config.ns);
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

}  // namespace snet::whisk
