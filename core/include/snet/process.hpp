// A child process owned by an object: started with posix_spawn, stopped (SIGTERM, then SIGKILL
// after a grace period) and reaped in the destructor, so no orphan or zombie outlives its owner.
// Used by `snet up` and by tests that run real servers.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace snet {

class ChildProcess {
 public:
  struct Options {
    std::map<std::string, std::string> env;  // added to (or replacing in) the parent's environment
    std::string stdout_path;  // empty: inherit; otherwise appended to this file
    std::string stderr_path;  // empty: inherit; "=stdout" to share stdout's file
    bool new_process_group = true;  // so a terminal's Ctrl-C reaches only the launcher
  };

  ChildProcess() = default;
  /// Throws std::system_error when the program cannot be started.
  ChildProcess(std::vector<std::string> argv, Options options);
  ChildProcess(std::vector<std::string> argv) : ChildProcess(std::move(argv), Options{}) {}
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  /// True until the child has exited (reaps it if it just did).
  bool running();
  /// Exit status as from waitpid (nullopt while running).
  std::optional<int> exit_status() const { return status_; }
  void signal(int sig) const;
  /// Waits for exit at most `timeout`; returns whether it exited.
  bool wait_for(std::chrono::milliseconds timeout);
  /// SIGTERM, wait up to `grace`, then SIGKILL; always reaps. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  pid_t pid_ = -1;
  std::string name_;
  std::optional<int> status_;
};

/// Absolute path of the running executable's directory (to find sibling programs).
std::string self_dir();

}  // namespace snet
