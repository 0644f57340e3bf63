// One warm Node.js process running whisk/runtime/worker.js, and the line-delimited JSON channel
// to it: one end of a Unix socketpair, handed to the child as $SNET_WHISK_FD.
//
// Why a socketpair and not a per-worker HTTP server (/init, /run) like OpenWhisk's runtime
// containers: no port to allocate or race for, no HTTP parsing on either side (a round trip
// costs tens of microseconds), and the kernel tells us at once when a worker dies (EOF), so a
// crash or a kill is noticed without polling. The JSON messages mirror /init and /run.
//
// Thread safety: a Worker lives on one io_context thread (the Invoker's); call its methods only
// there. Callbacks run on that thread. When the process exits, pending callbacks are dropped
// and `on_exit` runs once: the owner knows which activations were on the worker.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <nlohmann/json.hpp>

#include "action_store.hpp"
#include "snet/process.hpp"

namespace snet::whisk {

struct WorkerLaunch {
  std::string node = "node";  // the Node.js executable (PATH is searched)
  std::string script;         // path of whisk/runtime/worker.js
  /// NODE_PATH of the workers: the runtime's node_modules (the openwhisk client), "" for none.
  std::string modules;
  /// Node's permission model (--experimental-permission): actions may read only these
  /// directories (the runtime, its modules, unpacked archives), write nothing, start no process.
  bool sandbox = false;
  std::vector<std::string> readable;
  /// Run workers as this user (through setpriv, which needs root); "" : as snet-whisk's user.
  std::string user;
};

/// The command line starting one worker under `launch`.
std::vector<std::string> worker_command(const WorkerLaunch& launch);

/// Whether `node` runs with the sandbox's flags (Node's permission model came with Node 20).
/// Runs it once; false when it fails or takes longer than 10 s.
bool node_has_permission_model(const std::string& node);

struct RunOutcome {
  std::string status;  // "success", "application error", "action developer error"
  nlohmann::json result;
  std::vector<std::string> logs;
};

class Worker : public std::enable_shared_from_this<Worker> {
 public:
  using ReadyHandler = std::function<void()>;
  using ExitHandler = std::function<void(const std::string& why)>;
  using CheckHandler = std::function<void(std::optional<std::string> error)>;
  using InitHandler =
      std::function<void(std::optional<std::string> error, std::vector<std::string> logs)>;
  using RunHandler = std::function<void(RunOutcome)>;

  Worker(boost::asio::io_context& io, std::uint64_t id);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Spawns the process. Throws std::system_error when it cannot be started.
  void start(const WorkerLaunch& launch, ReadyHandler on_ready, ExitHandler on_exit);
  /// Compiles `code` without running it (syntax check).
  void check(const std::string& name, const std::string& code, CheckHandler done);
  /// Loads the action's code (or its unpacked archive) and entry function; the worker then
  /// runs only this action.
  void init(const Action& action, InitHandler done);
  /// `log_limit_bytes`: console output kept for the activation (limits.logs).
  void run(const std::string& activation_id, const nlohmann::json& params,
           const nlohmann::json& env, long log_limit_bytes, RunHandler done);
  /// The process id (-1 before start()).
  pid_t pid() const { return process_.pid(); }
  /// SIGKILL; on_exit follows with `why`.
  void kill(const std::string& why);
  /// Closes the channel (the worker exits on EOF) and reaps the process. For shutdown.
  void close();

  std::uint64_t id() const { return id_; }
  bool exited() const { return exited_; }

 private:
  void read_next();
  void on_line(std::string_view line);
  void send(nlohmann::json message);
  void write_next();
  void on_channel_closed();

  boost::asio::local::stream_protocol::socket socket_;
  std::uint64_t id_;
  ChildProcess process_;
  std::string read_buffer_;
  std::string queued_;    // messages waiting for the write in flight to end
  std::string in_write_;  // the bytes of the write in flight
  bool writing_ = false;
  ReadyHandler on_ready_;
  ExitHandler on_exit_;
  std::deque<CheckHandler> checks_;  // answered in order
  std::deque<InitHandler> inits_;
  std::map<std::string, RunHandler> runs_;
  std::string exit_reason_;
  bool exited_ = false;
};

}  // namespace snet::whisk
