// Raises this process's open-file limit (RLIMIT_NOFILE) from its soft value to the hard limit:
// every emulated device holds a socket, and a launched broker inherits the raised limit.
// Thread safety: call once at start-up, before threads open files.
#pragma once

#include <sys/resource.h>

namespace snet {

/// Returns the soft limit in force afterwards (the old one when raising was refused).
inline long raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<long>(limit.rlim_cur);
}

}  // namespace snet
