// snet-whisk: an OpenWhisk-compatible local compute (see whisk_service.hpp and rest_api.hpp;
// exit codes in snet/service.hpp).
#include "snet/log.hpp"
#include "snet/service.hpp"
#include "whisk_config.hpp"
#include "whisk_defaults.hpp"

using namespace snet;

int main(int argc, char** argv) {
  Service service({.program = "snet-whisk",
                   .summary = "OpenWhisk-compatible local compute: the actions REST API, running "
                              "JavaScript actions in warm Node.js workers.",
                   .name = "whisk",
                   .broker_optional = true});
  whisk::add_whisk_flags(service.flags());
  return service.run(argc, argv, [&] {
    const whisk::WhiskOptions options = whisk::whisk_options(service.flags());
    Metrics metrics;
    whisk::WhiskService server(options, metrics);
    // Actions first: once the port answers, they are there.
    const std::string actions = service.flags().str("actions-dir");
    if (!actions.empty()) whisk::deploy_directory(actions, server);
    server.start();
    log::info("listening on ", server.url(), " (namespace ", options.rest.ns, ", ",
              options.invoker.max_workers, " workers, runtime ", options.invoker.launch.script,
              options.invoker.launch.sandbox ? ", sandboxed" : "",
              options.invoker.launch.user.empty() ? "" : ", as user " + options.invoker.launch.user,
              ")");
    if (options.rest.auth == openwhisk::kDevAuth) {
      log::warn(
          "serving with OpenWhisk's public guest key: give --auth or --data-dir beyond a "
          "development machine");
    }
    std::unique_ptr<Bus> bus;  // the status, when a broker is given
    std::unique_ptr<StatusReporter> status;
    if (service.uses_broker()) {
      bus = service.make_bus(service.bus_options());
      bus->start();
      status = service.report_status(*bus, metrics);
    }
    service.wait_for_shutdown();
    status.reset();
    if (bus) bus->stop();
    return kExitClean;
  });
}
