// snet-whisk's invoker: runs activations on a pool of warm Node.js workers.
//
//   - A worker is initialized with one action's code (a cold start) and then serves only that
//     action, up to the action's limits.concurrency activations at once (OpenWhisk's
//     intra-container concurrency; 1 by default). At most `max_workers` exist; `prewarm`
//     uninitialized workers are kept ready so a cold start skips the Node.js start-up.
//   - An activation that finds no worker waits in a queue; idle workers of other actions are
//     replaced when the pool is full. At most `max_in_flight` activations are queued or running:
//     invoke() refuses more (the REST layer answers 429, as OpenWhisk's throttle does).
//   - An activation (or an init) running past its action's limits.timeout, or whose worker's
//     memory grows past limits.memory, ends as "action developer error" with OpenWhisk's
//     message; its worker is killed and replaced (so is a worker that crashes).
//   - Every finished activation goes to the ActivationStore.
//
// Thread safety: every public method may be called from any thread. Callbacks run on the
// invoker's own thread and must not block.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "action_store.hpp"
#include "activation_store.hpp"
#include "snet/metrics.hpp"
#include "syntax_checker.hpp"
#include "worker.hpp"

namespace snet::whisk {

struct InvokerOptions {
  WorkerLaunch launch;
  std::size_t max_workers = 8;
  std::size_t prewarm = 1;
  std::size_t max_in_flight = 256;
  std::string api_host;  // given to actions as __OW_API_HOST
  std::string api_key;   // given as __OW_API_KEY to actions annotated provide-api-key
};

/// The finished record, or nullptr when the caller's wait ran out first.
using Answer = std::function<void(std::shared_ptr<const ActivationRecord>)>;

class Invoker {
 public:
  Invoker(InvokerOptions options, ActivationStore& store, Metrics& metrics);
  /// Fails what is still queued or running ("whisk internal error") and stops every worker.
  ~Invoker();
  Invoker(const Invoker&) = delete;
  Invoker& operator=(const Invoker&) = delete;

  /// Starts an activation of `action` with `params` (already merged with the action's bound
  /// parameters). Returns false, without calling `answer`, when max_in_flight activations are
  /// already in flight. Otherwise `answer` is called once: with the record if the activation
  /// ends within `wait`, else with nullptr once `wait` has passed (at once for 0).
  /// `cause`: the sequence activation this one is a component of (the record's "cause").
  bool invoke(std::shared_ptr<const Action> action, nlohmann::json params, std::string id,
              std::chrono::milliseconds wait, Answer answer, std::string cause = {});

  /// Compiles `code` in a Node.js worker without running it: done(nullopt) when it compiles,
  /// else done(the compiler's message with the line).
  void check(std::string name, std::string code, CheckDone done);

  /// The URL actions get as __OW_API_HOST (known once the REST API listens).
  void set_api_host(std::string url);
  /// Runs `fn` on the invoker's thread (where callbacks run), at once or after `delay`.
  void post(std::function<void()> fn, std::chrono::milliseconds delay = {});

  /// The action was updated or deleted: its idle workers exit now, busy ones when idle.
  void retire(const std::string& action_name);

  std::size_t in_flight() const { return in_flight_.load(); }
  std::size_t max_in_flight() const { return options_.max_in_flight; }
  std::size_t workers() const;

 private:
  class Pool;
  const InvokerOptions options_;
  std::atomic<std::size_t> in_flight_{0};
  std::unique_ptr<Pool> pool_;
};

}  // namespace snet::whisk
