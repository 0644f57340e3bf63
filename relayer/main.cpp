// snet-relayer: presses in, commands out (see relayer.hpp; exit codes in snet/service.hpp).
#include "backends.hpp"
#include "relayer.hpp"
#include "relayer_config.hpp"
#include "snet/bus_loop.hpp"
#include "snet/log.hpp"
#include "snet/service.hpp"

using namespace snet;

int main(int argc, char** argv) {
  Service service({.program = "snet-relayer",
                   .summary = "Subscribes to presses, asks the compute, commands the actuators.",
                   .name = "relayer",
                   .name_env = "SNET_RELAYER_NAME"});
  relayer::add_relayer_flags(service.flags());
  return service.run(argc, argv, [&] {
    Metrics metrics;  // first: the backends count into it
    auto backends = relayer::make_backends(service.flags(), metrics);
    const Topology& topology = service.topology();
    const auto options = relayer::relayer_options(service.flags(), topology, service.broker_url());
    BusOptions bus_options = service.bus_options();
    bus_options.report_unroutable = true;  // AMQP: a command no actuator's queue takes is an error
    // A press is acknowledged only once its commands are confirmed, and the broker keeps what
    // we have not acknowledged while we are away: a relayer's death loses no press.
    bus_options.persistent_session = true;
    bus_options.manual_ack = true;
    bus_options.metrics = &metrics;  // the bus's own counters (AMQP) in our status
    BusLoop loop;                    // carries the bus's connection; outlives it
    const auto bus = service.make_bus(bus_options, &loop);
    relayer::Relayer relayer(*bus, topology, std::move(backends), metrics, options);
    bus->start();
    log::info("topology '", topology.name, "' (", topology.buttons().size(), " buttons), broker ",
              bus_options.url, ": connecting");
    // Online only once connected and subscribed; a signal meanwhile still ends us promptly.
    if (!service.wait_connected(*bus)) return kExitClean;
    log::info("connected and subscribed");
    {
      const auto status = service.report_status(*bus, metrics);
      service.wait_for_shutdown();
      log::info(relayer.in_flight(), " invocations in flight");
    }
    bus->stop();
    return kExitClean;
  });
}
