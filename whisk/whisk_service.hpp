// snet-whisk assembled: the action, trigger/rule and activation stores, the invoker with its
// Node.js workers, and the REST API on the project's HTTP server. main.cpp only reads flags and
// waits. With a data directory, actions, triggers and rules are kept under <data-dir>/entities/
// (entity_files.hpp) and loaded back at construction, before anything is served; activations
// stay in memory only.
// Thread safety: construct, start(), port() and destroy from one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "action_store.hpp"
#include "activation_store.hpp"
#include "deploy.hpp"
#include "entity_files.hpp"
#include "invoker.hpp"
#include "rest_api.hpp"
#include "snet/http_guard.hpp"
#include "snet/http_server.hpp"
#include "snet/metrics.hpp"
#include "trigger_store.hpp"

namespace snet::whisk {

struct WhiskOptions {
  std::string bind_address = "127.0.0.1";
  int port = 3233;
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::size_t activations_kept = 10000;
  /// Where zipped actions are unpacked and entities kept ("" : a temporary directory, nothing
  /// kept).
  std::string data_dir;
  RestOptions rest;
  InvokerOptions invoker;
  /// Host names and origins accepted besides loopback, IP literals and the bind address (the
  /// request guard, snet/http_guard.hpp: DNS rebinding and cross-origin requests are refused).
  std::vector<std::string> allowed_hosts, allowed_origins;
};

/// The worker runtime script: `configured` when given (it must exist), else worker.js next to
/// the executable (the build tree), the installed share/ copy, then the source tree.
/// Throws std::runtime_error listing the places it looked.
std::string find_worker_script(const std::string& configured);

/// The runtime's node_modules (what actions may require: the openwhisk client) for `script`:
/// next to it, the installed share/ copy, then the source tree; "" when none exists.
std::string find_runtime_modules(const std::string& script);

class WhiskService {
 public:
  WhiskService(WhiskOptions options, Metrics& metrics);
  ~WhiskService();
  WhiskService(const WhiskService&) = delete;
  WhiskService& operator=(const WhiskService&) = delete;

  /// Stores every *.js action of `dir` (as `snet actions deploy` would, syntax check included)
  /// without going through HTTP, so it can run before start(). Returns one result per file.
  /// Throws std::runtime_error when `dir` is not a readable directory.
  std::vector<openwhisk::DeployResult> deploy_directory(const std::string& dir);
  /// Listens; throws std::runtime_error naming the address when it cannot.
  void start();
  int port() const { return server_->port(); }
  /// The URL clients use (the bind address, or 127.0.0.1 for a wildcard bind).
  std::string url() const;
  std::size_t workers() const { return invoker_->workers(); }
  /// Files of the data directory skipped as corrupt at construction.
  std::size_t entities_corrupt() const { return (files_ ? files_->corrupt() : 0) + skipped_; }

 private:
  WhiskOptions options_;
  std::string temporary_dir_;           // made when no data_dir is given; removed at the end
  void load_entities();                 // from files_, before the stores are told to write to it
  std::unique_ptr<EntityFiles> files_;  // outlives the stores' use of it (declared before them)
  std::size_t entities_loaded_ = 0;
  std::size_t skipped_ = 0;  // JSON files that are not a valid entity
  ActionStore actions_;
  TriggerStore triggers_;
  ActivationStore activations_;
  std::unique_ptr<Invoker> invoker_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace snet::whisk
