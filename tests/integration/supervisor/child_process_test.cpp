// ChildProcess (core/include/snet/process.hpp): no inherited descriptors, the ones asked for
// kept, children that survive the thread that started them, a session of their own, clear errors.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <csignal>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// Descriptor numbers a shell lists for itself (its own, not those of the `ls` it runs).
std::set<int> shell_descriptors(ChildProcess::Options options, const TempDir& dir) {
  options.stdout_path = dir.path() + "/fds.txt";
  options.stderr_path = "=stdout";
  ChildProcess shell({"sh", "-c", "ls /proc/$$/fd"}, options);
  REQUIRE(shell.wait_for(10s));
  std::set<int> fds;
  std::istringstream text(read_text(options.stdout_path));
  for (int fd; text >> fd;) fds.insert(fd);
  return fds;
}

// A listening TCP socket opened WITHOUT close-on-exec, as Asio opens its acceptors.
struct LeakyListener {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  LeakyListener() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 1) == 0);
  }
  ~LeakyListener() { ::close(fd); }
};

}  // namespace

TEST_CASE("a child inherits no descriptor above stderr, close-on-exec or not") {
  TempDir dir("snet-fds");
  LeakyListener listener;
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);  // no O_CLOEXEC either
  const auto fds = shell_descriptors({}, dir);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  CHECK(fds.count(listener.fd) == 0);
  CHECK(fds.count(1) == 1);
  CHECK(fds.count(2) == 1);
  std::set<int> above_stderr;
  for (int fd : fds) {
    if (fd > 2) above_stderr.insert(fd);
  }
  // The shell may hold one descriptor of its own (the directory `ls` reads is `ls`'s, not its).
  CHECK_MESSAGE(above_stderr.size() <= 1, "descriptors above 2: ", above_stderr.size());
  CHECK(above_stderr.count(pipe_fds[0]) == 0);
  CHECK(above_stderr.count(pipe_fds[1]) == 0);
}

TEST_CASE("inherit_fds keeps exactly the descriptors asked for, under the same numbers") {
  TempDir dir("snet-fds");
  LeakyListener kept, dropped;
  ChildProcess::Options options;
  options.inherit_fds = {kept.fd};
  const auto fds = shell_descriptors(options, dir);
  CHECK(fds.count(kept.fd) == 1);
  CHECK(fds.count(dropped.fd) == 0);
}

TEST_CASE("a child started from a short-lived thread outlives that thread") {
  // PR_SET_PDEATHSIG fires when the forking THREAD exits: ChildProcess forks on a thread of its
  // own, so this child must not be killed when `starter` ends.
  ChildProcess child;
  std::thread starter([&] { child = ChildProcess({"sleep", "30"}); });
  starter.join();
  CHECK_FALSE(child.wait_for(300ms));
  CHECK(child.running());
  child.stop(1s);
  CHECK_FALSE(child.running());
}

TEST_CASE("a child runs in a session of its own so the scheduler shares the CPU per session") {
  // With autogroup scheduling a neighbour's many CPU-bound threads get one session's share; in
  // the launcher's session the broker competed with each of them (README, Benchmarks).
  ChildProcess child({"sleep", "30"});
  CHECK(::getsid(child.pid()) == child.pid());
  CHECK(::getsid(child.pid()) != ::getsid(0));
  CHECK(::getpgid(child.pid()) == child.pid());  // still its group's leader: stop() reaches all
  ChildProcess::Options same;
  same.new_process_group = false;
  ChildProcess inline_child({"sleep", "30"}, same);
  CHECK(::getsid(inline_child.pid()) == ::getsid(0));
  child.stop(1s);
  inline_child.stop(1s);
}

TEST_CASE("stop() ends a paused (SIGSTOPped) child promptly") {
  ChildProcess child({"sleep", "30"});
  child.signal(SIGSTOP);
  REQUIRE(eventually([&] { return process_state(child.pid()) == 'T'; }, 2s));
  const auto started = std::chrono::steady_clock::now();
  child.stop(5s);
  CHECK(std::chrono::steady_clock::now() - started < 2s);  // SIGTERM took, no 5 s SIGKILL wait
  REQUIRE(child.exit_status());
  CHECK(WIFSIGNALED(*child.exit_status()));
  CHECK(WTERMSIG(*child.exit_status()) == SIGTERM);
}

TEST_CASE("a program that cannot be started is an error naming it and why") {
  try {
    ChildProcess child({"/nonexistent/snet-nothing"});
    FAIL("started a program that does not exist");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).find("cannot start /nonexistent/snet-nothing") !=
          std::string::npos);
    CHECK(e.code().value() == ENOENT);
  }
  try {
    ChildProcess child({"snet-no-such-program-anywhere"});
    FAIL("found a program that is not on the PATH");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ENOENT);
  }
  try {
    ChildProcess::Options options;
    options.stdout_path = "/nonexistent/dir/out.log";
    ChildProcess child({"true"}, options);
    FAIL("started with an output file that cannot be opened");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).find("cannot open its output file /nonexistent/dir/out.log") !=
          std::string::npos);
  }
}
