// snet-state: stores the actuators' states and serves the REST API, the WebSocket live feed and
// the dashboard (see state_service.hpp; the API in docs/api.md; exit codes in snet/service.hpp).
#include "snet/service.hpp"
#include "state_config.hpp"
#include "state_service.hpp"

using namespace snet;

int main(int argc, char** argv) {
  Service service({.program = "snet-state",
                   .summary = "Stores actuator states in SQLite; serves the REST API, the live "
                              "WebSocket feed and the dashboard.",
                   .name = "state"});
  state::add_state_flags(service.flags());
  return service.run(argc, argv, [&] {
    state::StateService state(state::state_options(service));
    service.wait_for_shutdown();
    state.stop();
    return kExitClean;
  });
}
