// snet-whisk's key per data directory: instead of OpenWhisk's published guest key, `snet up`
// gives its bundled snet-whisk (and its relayers) a key generated once per data directory and
// kept in <data-dir>/whisk.auth (mode 0600), where `snet actions deploy` finds it too.
// A relayer in another process (or container, on a shared volume) reads that file with
// await_key_file(), never the key from its command line.
// Thread safety: reentrant; two processes creating the same file race safely, and a reader never
// sees it half written (the key is written to a temporary file that is then linked into place).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace snet::openwhisk {

/// The file holding the key of `data_dir`.
std::string key_file(const std::string& data_dir);

/// The key of `data_dir`, created (random uuid:key, as OpenWhisk's keys look) when missing.
/// Throws std::runtime_error naming the file when it cannot be read or written, or holds no
/// "uuid:key".
std::string data_dir_key(const std::string& data_dir);

/// The key of `data_dir` if its file exists (nullopt otherwise). Throws as data_dir_key.
std::optional<std::string> existing_data_dir_key(const std::string& data_dir);

/// The key in `file` (a whisk.auth), waiting up to `limit` for it to appear: a relayer may start
/// before snet-whisk made it. Throws std::runtime_error naming the file when it is still missing
/// then, or cannot be read, or holds no "uuid:key".
std::string await_key_file(const std::string& file, std::chrono::milliseconds limit);

}  // namespace snet::openwhisk
