#include "whisk_key.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "snet/file_modes.hpp"

namespace snet::openwhisk {
namespace fs = std::filesystem;

namespace {

std::string random_text(std::size_t length, const char* alphabet, std::size_t alphabet_size) {
  std::random_device device;
  std::string out;
  for (std::size_t i = 0; i < length; ++i) out += alphabet[device() % alphabet_size];
  return out;
}

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx:<64 letters and digits>", OpenWhisk's key shape.
std::string new_key() {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string uuid = random_text(32, kHex, 16);
  uuid[12] = '4';
  uuid.insert(20, "-").insert(16, "-").insert(12, "-").insert(8, "-");
  return uuid + ":" + random_text(64, kAlnum, sizeof kAlnum - 1);
}

std::string read_key(const std::string& file) {
  std::ifstream in(file);
  std::string key;
  if (!in || !std::getline(in, key)) throw std::runtime_error("cannot read the key in " + file);
  if (key.find(':') == std::string::npos || key.front() == ':' || key.back() == ':') {
    throw std::runtime_error(file + " does not hold a key uuid:key");
  }
  return key;
}

}  // namespace

std::string key_file(const std::string& data_dir) {
  return (fs::path(data_dir) / "whisk.auth").string();
}

std::optional<std::string> existing_data_dir_key(const std::string& data_dir) {
  const std::string file = key_file(data_dir);
  if (!fs::exists(file)) return std::nullopt;
  return read_key(file);
}

std::string data_dir_key(const std::string& data_dir) {
  const std::string file = key_file(data_dir);
  if (fs::exists(file)) {
    narrow_mode(file, kSecretFileMode);  // written by an older version, or copied in
    return read_key(file);
  }
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  // Written completely under a name of its own first, then linked into place: link() fails when
  // another process was quicker (its key wins), and a reader never sees a half-written file.
  const std::string staged = file + ".new-" + std::to_string(::getpid());
  const int fd = ::open(staged.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kSecretFileMode);
  if (fd < 0) throw std::runtime_error("cannot create " + staged + ": " + std::strerror(errno));
  const std::string key = new_key();
  const std::string line = key + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  const bool linked = written && ::link(staged.c_str(), file.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(staged.c_str());
  if (!written) throw std::runtime_error("cannot write " + staged);
  if (linked) return key;
  if (link_errno == EEXIST) return read_key(file);
  throw std::runtime_error("cannot create " + file + ": " + std::strerror(link_errno));
}

std::string await_key_file(const std::string& file, std::chrono::milliseconds limit) {
  // Polled: a once-per-start wait, and it works on any file system (a network mount too).
  constexpr auto kPollEvery = std::chrono::milliseconds(100);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!fs::exists(file)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("no OpenWhisk key file " + file + " after " +
                               std::to_string(limit.count()) +
                               " ms (snet-whisk writes it into its --data-dir as whisk.auth)");
    }
    std::this_thread::sleep_for(kPollEvery);
  }
  return read_key(file);
}

}  // namespace snet::openwhisk
