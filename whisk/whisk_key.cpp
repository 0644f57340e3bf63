#include "whisk_key.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace snet::whisk {
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
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return read_key(file);
    throw std::runtime_error("cannot create " + file + ": " + std::strerror(errno));
  }
  const std::string key = new_key();
  const std::string line = key + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) throw std::runtime_error("cannot write " + file);
  return key;
}

}  // namespace snet::whisk
