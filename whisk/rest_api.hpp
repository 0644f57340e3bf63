// snet-whisk's REST API: the part of OpenWhisk's API (apache/openwhisk docs/rest_api.md and
// the controller's Actions/Activations routes) that the relayer and `wsk` use for actions.
//
//   PUT    /api/v1/namespaces/{ns}/actions/{name}[?overwrite=true]   create / update (200)
//   GET    /api/v1/namespaces/{ns}/actions/{name}                    the action (200)
//   DELETE /api/v1/namespaces/{ns}/actions/{name}                    the removed action (200)
//   GET    /api/v1/namespaces/{ns}/actions                           list (200)
//   POST   /api/v1/namespaces/{ns}/actions/{name}[?blocking=true[&result=true]]
//            200 result (or record) | 202 {"activationId"} | 502 action failed | 429 throttled
//   GET    /api/v1/namespaces/{ns}/activations[?limit=&skip=&name=]  list (200)
//   GET    /api/v1/namespaces/{ns}/activations/{id}[/result|/logs]   record (200) | 404
//   GET    /api/v1/namespaces                                        ["<namespace>"]
//   GET    /ping                                                     "pong" (no auth)
//   GET    /metrics                                                  Prometheus text (no auth)
//
// Every /api/v1 request needs HTTP Basic auth with the configured "uuid:key" (else 401). Error
// bodies are OpenWhisk's: {"error": "<text>", "code": "<transaction id>"}. `{ns}` is "_" or the
// configured namespace name; another namespace is 403 as for a key without rights to it.
// Unlike OpenWhisk, a PUT whose code does not compile is refused (400, the compiler's message)
// instead of failing the first invocation at init.
// Thread safety: the router's handlers may run on any threads concurrently.
#pragma once

#include <chrono>
#include <string>

#include "action_store.hpp"
#include "activation_store.hpp"
#include "invoker.hpp"
#include "snet/http_server.hpp"
#include "snet/metrics.hpp"
#include "trigger_store.hpp"

namespace snet::whisk {

struct RestOptions {
  std::string auth;          // "uuid:key" every request must present
  std::string ns = "guest";  // the one namespace served ("_" resolves to it)
  /// How long a blocking invocation waits before answering 202 (OpenWhisk: 60 s).
  std::chrono::milliseconds blocking_wait{60000};
  /// Where zipped actions are unpacked (a directory per stored version, under actions/).
  std::string work_dir = "/tmp/snet-whisk";
};

/// The router serving the API over `actions`, `activations`, `invoker` and `triggers` (which
/// must outlive the router and every request it is serving).
http::Router make_router(const RestOptions& options, ActionStore& actions,
                         ActivationStore& activations, Invoker& invoker, Metrics& metrics,
                         TriggerStore& triggers);

/// "Basic " + base64("uuid:key"), the Authorization header a client sends.
std::string basic_authorization(const std::string& auth);

}  // namespace snet::whisk
