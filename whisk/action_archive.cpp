#include "action_archive.hpp"

#include <sys/wait.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <boost/beast/core/detail/base64.hpp>

#include "snet/process.hpp"

namespace snet::whisk {
namespace fs = std::filesystem;
namespace base64 = boost::beast::detail::base64;

namespace {

constexpr auto kUnzipTimeout = std::chrono::seconds(60);

std::string decode_base64(const std::string& text) {
  std::string compact;
  compact.reserve(text.size());
  for (const char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
  }
  std::size_t padding = 0;
  while (padding < compact.size() && padding < 2 && compact[compact.size() - 1 - padding] == '=') {
    ++padding;
  }
  std::string out(base64::decoded_size(compact.size()), '\0');
  const auto [written, read] = base64::decode(out.data(), compact.data(), compact.size());
  if (compact.empty() || read != compact.size() - padding) {
    throw std::invalid_argument("exec.code of a binary action must be a base64-encoded zip");
  }
  out.resize(written);
  return out;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > 2000 ? text.substr(0, 2000) : text;
}

}  // namespace

std::shared_ptr<const ActionArchive> ActionArchive::unpack(const std::string& base64_zip,
                                                           const std::string& parent) {
  const std::string zip = decode_base64(base64_zip);
  if (zip.size() < 4 || zip.compare(0, 2, "PK") != 0) {
    throw std::invalid_argument(
        "There was an error uncompressing the action archive: exec.code is not a zip file");
  }
  fs::create_directories(parent);
  std::string pattern = (fs::path(parent) / "action-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::invalid_argument("cannot create a directory under " + parent + " for the archive");
  }
  // Owned from here: removed again if unpacking fails.
  std::shared_ptr<const ActionArchive> archive(new ActionArchive(pattern));
  const fs::path dir(pattern);
  const fs::path zip_file = dir.string() + ".zip";
  {
    std::ofstream out(zip_file, std::ios::binary);
    out.write(zip.data(), static_cast<std::streamsize>(zip.size()));
    if (!out) throw std::invalid_argument("cannot write the archive to " + zip_file.string());
  }
  const fs::path messages = dir.string() + ".unzip.txt";
  int status = -1;
  try {
    ChildProcess::Options options;
    options.stdout_path = messages.string();
    options.stderr_path = "=stdout";
    options.new_process_group = false;
    ChildProcess unzip({"unzip", "-qq", "-o", zip_file.string(), "-d", dir.string()}, options);
    if (!unzip.wait_for(kUnzipTimeout)) unzip.stop(std::chrono::seconds(1));
    status = unzip.exit_status().value_or(-1);
  } catch (const std::system_error& e) {
    fs::remove(zip_file);
    throw std::invalid_argument(std::string("cannot run unzip (install it): ") + e.what());
  }
  const std::string said = read_text(messages);
  fs::remove(zip_file);
  fs::remove(messages);
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {  // 1: warnings only
    throw std::invalid_argument("There was an error uncompressing the action archive: " + said);
  }
  // Workers may run as another user: let them read (never write) what was unpacked.
  std::error_code ignored;
  fs::permissions(dir,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ignored);
  for (const auto& entry : fs::recursive_directory_iterator(dir, ignored)) {
    const auto extra = entry.is_directory() ? fs::perms::group_read | fs::perms::group_exec |
                                                  fs::perms::others_read | fs::perms::others_exec
                                            : fs::perms::group_read | fs::perms::others_read;
    fs::permissions(entry.path(), extra, fs::perm_options::add, ignored);
  }
  return archive;
}

ActionArchive::~ActionArchive() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

}  // namespace snet::whisk
