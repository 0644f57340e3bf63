#include "snet/process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "snet/file_modes.hpp"

extern char** environ;

namespace snet {
namespace {

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    if (extra.count(key) == 0) out.push_back(std::move(entry));
  }
  for (const auto& [key, value] : extra) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& items) {
  std::vector<char*> out;
  for (auto& s : items) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// What execvp would run for `program`, resolved here because the child may only make
// async-signal-safe calls between fork and exec. Empty when nothing executable is found.
std::string resolve_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const std::string dir = end > start ? path.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + program;
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

// Everything the child needs, prepared before fork: after it, only async-signal-safe calls.
struct ChildSetup {
  const char* path = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* stdout_path = nullptr;  // null: inherit
  const char* stderr_path = nullptr;  // null: inherit (unless stderr_to_stdout)
  const char* cwd = nullptr;          // null: the owner's
  bool stderr_to_stdout = false;
  bool new_process_group = true;
  bool die_with_owner = true;
  pid_t owner = 0;
  const int* keep = nullptr;  // sorted descriptors >= 3 that survive (inherit_fds, error pipe)
  std::size_t keep_count = 0;
  const int* inherit = nullptr;  // the ones that also survive exec
  std::size_t inherit_count = 0;
  int error_fd = -1;  // close-on-exec pipe: the child writes {stage, errno} here if it fails
};

enum Stage : int { kStdout = 1, kStderr = 2, kExec = 3, kCwd = 4 };

[[noreturn]] void child_fail(int error_fd, int stage) {
  const int message[2] = {stage, errno};
  [[maybe_unused]] const ssize_t n = ::write(error_fd, message, sizeof message);
  ::_exit(127);
}

void close_fd_range(unsigned first, unsigned last) {
  if (first > last) return;
  if (::close_range(first, last, 0) == 0) return;
  // Kernels before 5.9: one by one, up to the descriptor limit.
  rlimit limit{};
  unsigned top = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    top = static_cast<unsigned>(std::min<rlim_t>(limit.rlim_cur, 1u << 20));
  }
  for (unsigned fd = first; fd <= last && fd < top; ++fd) ::close(static_cast<int>(fd));
}

// A child's output is its log: not world-readable (file_modes.hpp).
int open_output(const char* path) {
  return open_append(path, kLogFileMode);
}

[[noreturn]] void run_child(const ChildSetup& s) {
  if (s.die_with_owner) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The owner died before the line above: nobody would ever send the signal.
    if (::getppid() != s.owner) ::_exit(127);
  }
  // A session of its own, not only a process group: Linux schedules by session first
  // (autogroups, kernel.sched_autogroup_enabled), so a neighbour with N CPU-bound threads gets one
  // session's share, not N of N+1 per core. The broker, a single thread every press crosses seven
  // times, otherwise sat 92 % of the time in the run queue beside `stress-ng --cpu 4`.
  // setsid() makes the child its group's leader too; setpgid() remains if it fails.
  if (s.new_process_group && ::setsid() < 0) ::setpgid(0, 0);
  // As posix_spawn with SETSIGDEF and SETSIGMASK: default dispositions, nothing blocked.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &default_action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (s.stdout_path != nullptr) {
    const int fd = open_output(s.stdout_path);
    if (fd < 0 || ::dup2(fd, 1) < 0) child_fail(s.error_fd, kStdout);
    if (fd != 1) ::close(fd);
  }
  if (s.stderr_to_stdout) {
    if (::dup2(1, 2) < 0) child_fail(s.error_fd, kStderr);
  } else if (s.stderr_path != nullptr) {
    const int fd = open_output(s.stderr_path);
    if (fd < 0 || ::dup2(fd, 2) < 0) child_fail(s.error_fd, kStderr);
    if (fd != 2) ::close(fd);
  }
  // Close every descriptor above stderr except the kept ones.
  unsigned next = 3;
  for (std::size_t i = 0; i < s.keep_count; ++i) {
    const auto fd = static_cast<unsigned>(s.keep[i]);
    if (fd > next) close_fd_range(next, fd - 1);
    next = std::max(next, fd + 1);
  }
  close_fd_range(next, ~0u);
  for (std::size_t i = 0; i < s.inherit_count; ++i) ::fcntl(s.inherit[i], F_SETFD, 0);
  if (s.cwd != nullptr && ::chdir(s.cwd) != 0) child_fail(s.error_fd, kCwd);

  ::execve(s.path, s.argv, s.envp);
  child_fail(s.error_fd, kExec);
}

// Forks on one thread that lives as long as the process: PR_SET_PDEATHSIG fires when the thread
// that forked a child exits, so children forked by a short-lived thread would die with it.
class Forker {
 public:
  static Forker& instance() {
    static Forker forker;
    return forker;
  }

  /// Runs `fork_job` (which forks and returns the pid, or -errno) on the forking thread.
  pid_t run(const std::function<pid_t()>& fork_job) {
    std::lock_guard one_at_a_time(run_mutex_);
    std::unique_lock lock(mutex_);
    job_ = &fork_job;
    cv_.notify_all();
    cv_.wait(lock, [this] { return job_ == nullptr; });
    return result_;
  }

  ~Forker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  Forker() {
    // The thread blocks every signal, so a process-directed SIGTERM or SIGINT is never handled
    // here instead of by the thread that waits for it (see shutdown.hpp).
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    thread_ = std::thread([this] { loop(); });
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }

  void loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || job_ != nullptr; });
      if (job_ == nullptr) return;  // stopping, nothing pending
      result_ = (*job_)();
      job_ = nullptr;
      cv_.notify_all();
    }
  }

  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_;
  const std::function<pid_t()>* job_ = nullptr;
  pid_t result_ = -1;
  bool stopping_ = false;
  std::thread thread_;
};

std::string describe_failure(int stage, const std::string& program,
                             const ChildProcess::Options& o) {
  switch (stage) {
    case kStdout:
      return "cannot start " + program + ": cannot open its output file " + o.stdout_path;
    case kStderr:
      return "cannot start " + program + ": cannot open its error output " + o.stderr_path;
    case kCwd:
      return "cannot start " + program + ": cannot enter its working directory " + o.cwd;
    default:
      return "cannot start " + program;
  }
}

// Closes a descriptor when it goes out of scope.
struct OwnedFd {
  int fd = -1;
  ~OwnedFd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, Options options) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty command line");
  name_ = argv[0];
  const std::string path = resolve_program(argv[0]);
  if (path.empty())
    throw std::system_error(ENOENT, std::generic_category(), "cannot start " + name_);

  auto env = merged_environment(options.env);
  auto c_env = c_strings(env);
  auto c_argv = c_strings(argv);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot start " + name_ + ": pipe");
  }
  OwnedFd error_read{pipe_fds[0]}, error_write{pipe_fds[1]};

  std::vector<int> inherit, keep;
  for (int fd : options.inherit_fds) {
    if (fd > 2) inherit.push_back(fd);
  }
  keep = inherit;
  keep.push_back(error_write.fd);
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());

  ChildSetup setup;
  setup.path = path.c_str();
  setup.argv = c_argv.data();
  setup.envp = c_env.data();
  if (!options.stdout_path.empty()) setup.stdout_path = options.stdout_path.c_str();
  setup.stderr_to_stdout = options.stderr_path == "=stdout";
  if (!setup.stderr_to_stdout && !options.stderr_path.empty()) {
    setup.stderr_path = options.stderr_path.c_str();
  }
  if (!options.cwd.empty()) setup.cwd = options.cwd.c_str();
  setup.new_process_group = options.new_process_group;
  setup.die_with_owner = options.die_with_owner;
  setup.owner = ::getpid();
  setup.keep = keep.data();
  setup.keep_count = keep.size();
  setup.inherit = inherit.data();
  setup.inherit_count = inherit.size();
  setup.error_fd = error_write.fd;

  const pid_t pid = Forker::instance().run([&setup]() -> pid_t {
    const pid_t child = ::fork();
    if (child == 0) run_child(setup);
    return child < 0 ? -errno : child;
  });
  if (pid < 0) throw std::system_error(-pid, std::generic_category(), "cannot start " + name_);
  pid_ = pid;
  error_write.reset();  // the child holds the only write end now: EOF means exec succeeded

  int message[2] = {0, 0};
  ssize_t got = 0;
  do {
    got = ::read(error_read.fd, message, sizeof message);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof message)) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    throw std::system_error(message[1], std::generic_category(),
                            describe_failure(message[0], name_, options));
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), name_(std::move(other.name_)), status_(other.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
    name_ = std::move(other.name_);
    status_ = other.status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  stop();
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    return false;
  }
  return r == 0;
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

bool ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);  // waitpid has no timeout: poll with a growing pause
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return true;
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0 || status_) return;
  signal(SIGTERM);
  signal(SIGCONT);  // a stopped (paused) process handles SIGTERM only once continued
  if (!wait_for(grace)) {
    signal(SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) status_ = status;
  }
}

std::string self_dir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/'));
}

}  // namespace snet
