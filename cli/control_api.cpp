#include "control_api.hpp"

namespace snet::cli {

http::Router control_routes(Supervisor& supervisor) {
  http::Router router;
  router.route_async("GET", "/services", [&supervisor](const http::Request&, http::Reply reply) {
    supervisor.submit("", "", std::move(reply));
  });
  router.route_async("GET", "/services/{name}",
                     [&supervisor](const http::Request& request, http::Reply reply) {
                       supervisor.submit(request.params.at("name"), "", std::move(reply));
                     });
  router.route_async("POST", "/services/{name}/{verb}",
                     [&supervisor](const http::Request& request, http::Reply reply) {
                       supervisor.submit(request.params.at("name"), request.params.at("verb"),
                                         std::move(reply));
                     });
  return router;
}

ControlApi::ControlApi(Supervisor& supervisor, int port) {
  http::ServerOptions options;
  options.bind_address = "127.0.0.1";  // the control of every process: never off this machine
  options.port = port;
  options.server_name = "snet-up";
  server_ = std::make_unique<http::Server>(options, control_routes(supervisor));
}

void ControlApi::start() {
  server_->start();
}

std::string ControlApi::url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port());
}

void ControlApi::stop() {
  server_->stop(std::chrono::milliseconds(200));
}

}  // namespace snet::cli
