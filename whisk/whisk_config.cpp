#include "whisk_config.hpp"

#include <unistd.h>

#include "snet/http_guard.hpp"
#include "snet/log.hpp"
#include "whisk_defaults.hpp"
#include "whisk_key.hpp"
#include "worker.hpp"

namespace snet::whisk {

void add_whisk_flags(Flags& flags) {
  flags.add("http-bind", "SNET_WHISK_BIND", "127.0.0.1", "address the REST API listens on")
      .add("http-port", "SNET_WHISK_PORT", std::to_string(openwhisk::kDefaultPort),
           "port of the REST API (OpenWhisk's usual 3233)")
      .add("auth", "SNET_WHISK_AUTH", "",
           "the uuid:key clients must present (HTTP Basic); default: the key of --data-dir "
           "(<data-dir>/whisk.auth, generated once), else OpenWhisk's public guest key")
      .add("data-dir", "SNET_WHISK_DATA_DIR", "",
           "keeps the generated key, unpacked zipped actions, and the actions, triggers and "
           "rules (entities/), which a restart loads back (default: a temporary directory, "
           "nothing kept, and the guest key)")
      .add("worker-user", "SNET_WHISK_WORKER_USER", "nobody",
           "when snet-whisk runs as root, workers run as this user (\"\" : as root)")
      .add("sandbox", "SNET_WHISK_SANDBOX", "on",
           "on: workers run under Node's permission model (read only the runtime and the "
           "actions, write nothing, start no process); off: plain Node.js")
      .add("namespace", "SNET_WHISK_NAMESPACE", "guest", "the namespace served (\"_\" means it)")
      .add("workers", "SNET_WHISK_WORKERS", "8", "Node.js worker processes at most")
      .add("prewarm", "SNET_WHISK_PREWARM", "1", "uninitialized workers kept ready")
      .add("max-in-flight", "SNET_WHISK_MAX_IN_FLIGHT", "256",
           "activations queued or running at once; more are answered 429")
      .add("blocking-wait-ms", "SNET_WHISK_BLOCKING_WAIT_MS",
           std::to_string(openwhisk::kBlockingWaitMs),
           "a blocking invocation answers 202 with the activation id after this")
      .add("activations-kept", "SNET_WHISK_ACTIVATIONS_KEPT", "10000",
           "finished activation records kept in memory (least recently used go first)")
      .add("max-body-bytes", "SNET_WHISK_MAX_BODY_BYTES", "8388608", "largest request body")
      .add("node", "SNET_WHISK_NODE", "node", "the Node.js executable")
      .add("runtime", "SNET_WHISK_RUNTIME", "",
           "the worker runtime script (default: found next to the program or in the sources)")
      .add("actions-dir", "SNET_WHISK_ACTIONS_DIR", "",
           "deploy every *.js of this directory at start-up (e.g. actions/)")
      .add("allowed-host", "SNET_WHISK_ALLOWED_HOSTS", "",
           "host names clients may use besides loopback, IP addresses and the bind address "
           "(comma-separated, e.g. the compose service name 'whisk')")
      .add("allowed-origin", "SNET_WHISK_ALLOWED_ORIGINS", "",
           "web origins whose pages may call the API (comma-separated; default: none)");
}

WhiskOptions whisk_options(const Flags& flags) {
  WhiskOptions o;
  o.bind_address = flags.str("http-bind");
  o.port = static_cast<int>(flags.integer("http-port", 0, 65535));
  o.max_body_bytes = static_cast<std::size_t>(flags.integer("max-body-bytes", 1024, 1L << 30));
  o.activations_kept = static_cast<std::size_t>(flags.integer("activations-kept", 1, 10'000'000));
  o.data_dir = flags.str("data-dir");
  o.allowed_hosts = flags.list("allowed-host");
  o.allowed_origins = flags.list("allowed-origin");
  try {  // checked now: a bad one is a usage error, before anything starts
    http::GuardOptions check;
    check.allowed_hosts = o.allowed_hosts;
    check.allowed_origins = o.allowed_origins;
    http::RequestGuard{check};
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--allowed-origin / --allowed-host: ") + e.what());
  }
  o.rest.auth = flags.str("auth");
  if (o.rest.auth.empty()) {
    // The guest key is public: fine on loopback, never for a bind others can reach.
    if (o.data_dir.empty() && !http::is_loopback_bind(o.bind_address)) {
      throw UsageError("--http-bind " + o.bind_address +
                       " is reachable from other hosts: give --data-dir (a key is generated "
                       "there) or --auth, not OpenWhisk's public guest key");
    }
    o.rest.auth = o.data_dir.empty() ? openwhisk::kDevAuth : openwhisk::data_dir_key(o.data_dir);
  }
  if (o.rest.auth.find(':') == std::string::npos) throw UsageError("--auth must be uuid:key");
  o.invoker.api_key = o.rest.auth;
  o.rest.ns = flags.str("namespace");
  if (o.rest.ns.empty() || o.rest.ns == "_") throw UsageError("--namespace needs a real name");
  o.rest.blocking_wait =
      std::chrono::milliseconds(flags.integer("blocking-wait-ms", 0, 10 * 60 * 1000));
  o.invoker.max_workers = static_cast<std::size_t>(flags.integer("workers", 1, 1000));
  o.invoker.prewarm = static_cast<std::size_t>(flags.integer("prewarm", 0, 1000));
  o.invoker.max_in_flight = static_cast<std::size_t>(flags.integer("max-in-flight", 1, 1'000'000));
  o.invoker.launch.node = flags.str("node");
  if (flags.str("sandbox") != "on" && flags.str("sandbox") != "off") {
    throw UsageError("--sandbox must be on or off");
  }
  o.invoker.launch.sandbox = flags.str("sandbox") == "on";
  if (o.invoker.launch.sandbox && !node_has_permission_model(o.invoker.launch.node)) {
    log::warn(o.invoker.launch.node,
              " has no permission model (Node.js 20 or later has it): "
              "workers run without the sandbox");
    o.invoker.launch.sandbox = false;
  }
  if (::geteuid() == 0) o.invoker.launch.user = flags.str("worker-user");
  try {
    o.invoker.launch.script = find_worker_script(flags.str("runtime"));
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  return o;
}

void deploy_directory(const std::string& dir, WhiskService& service) {
  int failed = 0;
  for (const auto& r : service.deploy_directory(dir)) {
    if (r.ok) {
      log::info("deployed action '", r.name, "' from ", r.file);
    } else {
      ++failed;
      log::error("cannot deploy ", r.file, ": ", r.error);
    }
  }
  if (failed > 0) log::warn(failed, " action file(s) of ", dir, " were not deployed");
}

}  // namespace snet::whisk
