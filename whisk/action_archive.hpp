// A zipped Node.js action (`exec.binary: true`, the zip base64-encoded in `exec.code`), unpacked
// once per stored version into a directory of its own that the workers load it from (as
// OpenWhisk's Node.js runtime unpacks it at init: package.json `main` or index.js, with the
// archive's node_modules). Unpacking uses the system `unzip`; the directory is removed when the
// last holder of the ActionArchive (the stored action, a worker still running it) lets go.
// Thread safety: an ActionArchive is immutable; unpack() may run on any thread.
#pragma once

#include <memory>
#include <string>

namespace snet::whisk {

class ActionArchive {
 public:
  /// Decodes `base64_zip` and unpacks it into a new directory under `parent` (created if
  /// missing), readable by every user (workers may run as an unprivileged one). Throws
  /// std::invalid_argument naming what is wrong (not base64, not a zip, unzip missing).
  static std::shared_ptr<const ActionArchive> unpack(const std::string& base64_zip,
                                                     const std::string& parent);
  ~ActionArchive();
  ActionArchive(const ActionArchive&) = delete;
  ActionArchive& operator=(const ActionArchive&) = delete;

  /// Where the archive's files are (the action's module directory).
  const std::string& dir() const { return dir_; }

 private:
  explicit ActionArchive(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace snet::whisk
