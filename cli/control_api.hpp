// The supervisor's control endpoint: a small HTTP API on 127.0.0.1 only (snet-state and
// `snet ctl` call it; the URL goes to snet-state as SNET_SUPERVISOR_URL and into run.json).
//
//   GET  /services                  200 {"services": [<service>...]}, in start order
//   GET  /services/{name}           200 {"service": <service>}
//   POST /services/{name}/{verb}    200 {"service": <service>} once done; verb one of stop,
//                                   start, restart, kill, pause, resume
//   <service> = {"name": "relayer", "kind": "relayer", "pid": 123, "state": "running",
//                "restarts": 0, "last_exit": "killed by signal 9", "since_us": 1733100000000000}
//   errors: 404 unknown service, 400 unknown verb, 409 not applicable now, each
//   {"error": "..."} naming what is wrong.
//
// Requests are carried out by the supervisor's thread (Supervisor::submit/tick).
// Thread safety: start/stop/url from one thread.
#pragma once

#include <memory>
#include <string>

#include "snet/http_server.hpp"
#include "supervisor.hpp"

namespace snet::cli {

class ControlApi {
 public:
  /// `port` 0: a free one.
  ControlApi(Supervisor& supervisor, int port);
  /// Throws std::runtime_error naming the address when it cannot listen.
  void start();
  /// http://127.0.0.1:<port>
  std::string url() const;
  void stop();

 private:
  std::unique_ptr<http::Server> server_;
};

/// The routes alone (for tests without sockets).
http::Router control_routes(Supervisor& supervisor);

}  // namespace snet::cli
