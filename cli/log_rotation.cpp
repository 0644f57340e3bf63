#include "log_rotation.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "snet/file_modes.hpp"
#include "snet/log.hpp"

namespace snet::cli {
namespace {

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Appends what `from` holds past what was copied to `to`; returns false on an error.
bool copy_rest(int from, int to) {
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n == 0) return true;
    if (n < 0) return false;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(to, buffer + done, static_cast<std::size_t>(n - done));
      if (w <= 0) return false;
      done += w;
    }
  }
}

}  // namespace

bool rotate_log_if_larger(const std::string& path, std::uintmax_t max_bytes) {
  struct stat st {};
  if (max_bytes == 0 || ::stat(path.c_str(), &st) != 0 ||
      static_cast<std::uintmax_t>(st.st_size) <= max_bytes) {
    return false;
  }
  const std::string old = path + ".1";
  const std::string partial = old + ".partial";
  // Close-on-exec: a child started meanwhile by another thread must not inherit them.
  Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  Fd out{::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kLogFileMode)};
  if (out.fd >= 0) narrow_mode(out.fd, kLogFileMode);  // a leftover .partial of an old version
  // Copy, then copy what arrived during the copy, so the truncation below races with as few
  // bytes as possible.
  const bool copied = in.fd >= 0 && out.fd >= 0 && copy_rest(in.fd, out.fd) &&
                      copy_rest(in.fd, out.fd) && ::truncate(path.c_str(), 0) == 0;
  if (!copied || ::rename(partial.c_str(), old.c_str()) != 0) {
    ::unlink(partial.c_str());
    log::warn("cannot rotate ", path, " (", st.st_size, " bytes)");
    return false;
  }
  return true;
}

LogRotator::LogRotator(std::vector<std::string> paths, std::uintmax_t max_bytes,
                       std::chrono::milliseconds interval)
    : paths_(std::move(paths)), max_bytes_(max_bytes), interval_(interval) {}

void LogRotator::tick() {
  if (max_bytes_ == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_) return;
  next_ = now + interval_;
  for (const auto& path : paths_) {
    if (rotate_log_if_larger(path, max_bytes_)) ++rotations_;
  }
}

}  // namespace snet::cli
