// snet: the command-line front end (validate, run, press, up, compose, health, ctl, link,
// actions).
#include <cstring>
#include <iostream>

#include "actions_command.hpp"
#include "commands.hpp"
#include "snet/version.hpp"

namespace {

constexpr const char* kUsage =
    "usage: snet COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  validate FILE...   check topology and scenario files; every error, or OK with a summary\n"
    "  run SCENARIO       run an experiment: workload + faults, then report.html and exit 0/1\n"
    "  press BUTTON       press an emulated button (--direct: publish the press itself)\n"
    "  up [TOPOLOGY]      start broker, state service, relayer and agents; Ctrl-C stops\n"
    "  compose [TOPOLOGY] write a docker compose override: one container per device\n"
    "  compose-credentials  the Docker stack's broker logins and API token (its init service)\n"
    "  stack [TOPOLOGY]   write the Docker Swarm stack file (docker-stack.yml) and its secrets\n"
    "  health [SERVICE]   exit 0 when services report online (none named: all of snet up's)\n"
    "  ctl ...            live control: services, device faults, storms (snet ctl --help)\n"
    "  link [ID]          the emulated network's links: show or change them (snet link --help)\n"
    "  actions deploy [DIR]  create or update actions/*.js on snet-whisk or a real OpenWhisk\n"
    "\n"
    "`snet COMMAND --help` lists a command's flags; `snet --version` prints the version.\n"
    "press, health, ctl and link find the running `snet up` through <data-dir>/run.json\n"
    "(--data-dir, $SNET_DATA_DIR, default ./data).\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const char* command = argv[1];
  if (std::strcmp(command, "--help") == 0 || std::strcmp(command, "-h") == 0 ||
      std::strcmp(command, "help") == 0) {
    std::cout << kUsage;
    return 0;
  }
  if (std::strcmp(command, "--version") == 0 || std::strcmp(command, "version") == 0) {
    std::cout << "snet " << snet::version() << "\n";
    return 0;
  }
  if (std::strcmp(command, "validate") == 0) return snet::cli::validate_command(argc, argv, 2);
  if (std::strcmp(command, "press") == 0) return snet::cli::press_command(argc, argv, 2);
  if (std::strcmp(command, "up") == 0) return snet::cli::up_command(argc, argv, 2);
  if (std::strcmp(command, "compose") == 0) return snet::cli::compose_command(argc, argv, 2);
  if (std::strcmp(command, "compose-credentials") == 0) {
    return snet::cli::compose_credentials_command(argc, argv, 2);
  }
  if (std::strcmp(command, "stack") == 0) return snet::cli::stack_command(argc, argv, 2);
  if (std::strcmp(command, "health") == 0) return snet::cli::health_command(argc, argv, 2);
  if (std::strcmp(command, "ctl") == 0) return snet::cli::ctl_command(argc, argv, 2);
  if (std::strcmp(command, "link") == 0) return snet::cli::link_command(argc, argv, 2);
  if (std::strcmp(command, "run") == 0) return snet::cli::run_command(argc, argv, 2);
  if (std::strcmp(command, "actions") == 0) {
    return snet::cli::actions_command(argc, argv, 2, std::cout, std::cerr);
  }
  std::cerr << "snet: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
