// Permission bits of what the services keep in a data directory. Secrets (keys, passwords,
// broker configurations that carry them) are the owner's only; logs and the history are not
// world-readable (they name devices, users and hosts and carry what came from the wire). The
// bits are set, not left to the umask, and a file an older version made wider is narrowed.
// write_file_atomically(path, text, kSecretFileMode) (atomic_file.hpp) writes a whole secret.
// Thread safety: reentrant.
#pragma once

#include <string>

namespace snet {

inline constexpr unsigned kSecretFileMode = 0600;
inline constexpr unsigned kLogFileMode = 0640;

/// Opens `path` for appending (created when missing), close-on-exec, with no permission bits
/// beyond `mode`. Returns the descriptor, or -1 with errno set. Async-signal-safe (a forked
/// child opens its log with it).
int open_append(const char* path, unsigned mode);

/// Clears the permission bits of the open file `fd` that `mode` lacks; never adds any. False
/// (errno set) when it cannot (e.g. the file is another user's). Async-signal-safe.
bool narrow_mode(int fd, unsigned mode);
/// The same for the file at `path`; true when it does not exist.
bool narrow_mode(const std::string& path, unsigned mode);

}  // namespace snet
