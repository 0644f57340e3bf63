// A child process owned by an object: started with fork+exec, stopped (SIGTERM, then SIGKILL
// after a grace period) and reaped in the destructor, so no orphan or zombie outlives its owner.
// Used by `snet up`, snet-whisk (its Node.js workers) and tests that run real servers.
//
// Children never outlive their owner process, however it ends (SIGKILL included): each child
// asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG, Options::die_with_owner).
// The kernel sends it when the *thread* that forked the child exits, not the process, so every
// ChildProcess is forked by one internal thread that lives as long as the process: a child
// started from a short-lived thread (std::async, a request handler) is not killed when that
// thread ends. The signal survives exec, but not a change of user (set-uid programs).
//
// Children inherit no descriptor besides stdin, stdout and stderr (and Options::inherit_fds):
// every other one is closed before exec, close-on-exec or not (a listening socket opened by a
// library without O_CLOEXEC must not end up held by a grandchild).
//
// Thread safety: one ChildProcess is used by one thread at a time; different ones may be
// started, signalled and stopped from different threads concurrently.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace snet {

class ChildProcess {
 public:
  struct Options {
    std::map<std::string, std::string> env;  // added to (or replacing in) the parent's environment
    std::string stdout_path;                 // empty: inherit; otherwise appended to this file
    std::string stderr_path;                 // empty: inherit; "=stdout" to share stdout's file
    /// Its own session and process group: a terminal's Ctrl-C reaches only the launcher, and the
    /// kernel's autogroup scheduling shares the CPU with a busy neighbour per session, not per
    /// thread (ps -o sid shows it; no controlling terminal).
    bool new_process_group = true;
    /// SIGKILL the child when this process ends, however it ends (PR_SET_PDEATHSIG).
    bool die_with_owner = true;
    /// Descriptors the child keeps under the same numbers (e.g. one end of a socketpair); every
    /// other descriptor above 2 is closed in the child before exec.
    std::vector<int> inherit_fds = {};
    /// The child's working directory (empty: the owner's); a relative program path is looked
    /// up from there.
    std::string cwd = {};
  };

  ChildProcess() = default;
  /// Throws std::system_error when the program cannot be started (not found, not executable,
  /// its output file cannot be opened), naming the program.
  ChildProcess(std::vector<std::string> argv, Options options);
  ChildProcess(std::vector<std::string> argv) : ChildProcess(std::move(argv), Options{}) {}
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  /// -1 when no process was started.
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  /// True until the child has exited (reaps it if it just did).
  bool running();
  /// Exit status as from waitpid (nullopt while running).
  std::optional<int> exit_status() const { return status_; }
  void signal(int sig) const;
  /// Waits for exit at most `timeout`; returns whether it exited.
  bool wait_for(std::chrono::milliseconds timeout);
  /// SIGTERM (and SIGCONT, should it be stopped), wait up to `grace`, then SIGKILL; always
  /// reaps. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  pid_t pid_ = -1;
  std::string name_;
  std::optional<int> status_;
};

/// Absolute path of the running executable's directory (to find sibling programs).
std::string self_dir();

}  // namespace snet
