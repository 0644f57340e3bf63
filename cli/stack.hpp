// The services `snet up` runs, as child processes started in order and stopped in reverse order
// (the agents before the relayer before the state service), each logging to <log_dir>/<name>.log.
// Thread safety: one thread.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "snet/process.hpp"

namespace snet::cli {

class Stack {
 public:
  explicit Stack(std::string log_dir) : log_dir_(std::move(log_dir)) {}
  ~Stack() { stop_all(); }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  /// Starts `argv` as the service `name`; throws std::system_error when it cannot be started.
  void start(const std::string& name, std::vector<std::string> argv);
  /// "<name> exited with status N" for the first child that is no longer running.
  std::optional<std::string> find_dead();
  /// Stops every child, last started first; each gets `grace` to exit before SIGKILL.
  void stop_all(std::chrono::milliseconds grace = std::chrono::seconds(10));
  std::string log_path(const std::string& name) const { return log_dir_ + "/" + name + ".log"; }
  std::vector<pid_t> pids() const;

 private:
  std::string log_dir_;
  std::vector<std::pair<std::string, ChildProcess>> children_;
};

/// "exited with status 1", "killed by signal 9".
std::string describe_exit(int wait_status);
/// The last `lines` lines of a text file (for telling why a service died).
std::string tail_of_file(const std::string& path, std::size_t lines);

}  // namespace snet::cli
