#include "snet/shutdown.hpp"

#include <pthread.h>
#include <csignal>
#include <ctime>

namespace snet {
namespace {
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);  // the terminal went away: stop as cleanly as on Ctrl-C
  return set;
}
}  // namespace

ShutdownSignal::ShutdownSignal() {
  const sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a peer closing a socket is an error code, not a death
}

ShutdownSignal::~ShutdownSignal() = default;  // the mask stays: we are shutting down anyway

int ShutdownSignal::wait() {
  const sigset_t set = shutdown_signals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int ShutdownSignal::wait_for(std::chrono::milliseconds timeout) {
  const sigset_t set = shutdown_signals();
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1'000'000)};
  const int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

}  // namespace snet
