#include "snet/file_modes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace snet {

int open_append(const char* path, unsigned mode) {
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, static_cast<mode_t>(mode));
  // A log someone else owns keeps its bits: writing to it is still better than no log.
  if (fd >= 0) narrow_mode(fd, mode);
  return fd;
}

bool narrow_mode(int fd, unsigned mode) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  const mode_t bits = st.st_mode & 07777;
  const mode_t narrowed = bits & static_cast<mode_t>(mode);
  return narrowed == bits || ::fchmod(fd, narrowed) == 0;
}

bool narrow_mode(const std::string& path, unsigned mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno == ENOENT;
  const mode_t bits = st.st_mode & 07777;
  const mode_t narrowed = bits & static_cast<mode_t>(mode);
  return narrowed == bits || ::chmod(path.c_str(), narrowed) == 0;
}

}  // namespace snet
