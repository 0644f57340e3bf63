#include "entity_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "snet/atomic_file.hpp"
#include "snet/log.hpp"

namespace snet::whisk {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSuffix = ".json";

// OpenWhisk names may hold ' ', '@' and '.', and a name must never become "..": only
// [A-Za-z0-9_-] is kept as is.
std::string file_name(const std::string& name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out + kSuffix;
}

bool ends_with(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

}  // namespace

EntityFiles::EntityFiles(std::string dir) : dir_(std::move(dir)) {
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error || !fs::is_directory(dir_)) {
    throw std::runtime_error("cannot create the entity directory " + dir_ + ": " +
                             (error ? error.message() : "not a directory"));
  }
  fs::permissions(dir_, fs::perms::owner_all, error);  // actions' code and parameters: ours only
}

std::string EntityFiles::path(const std::string& collection, const std::string& name) const {
  return (fs::path(dir_) / collection / file_name(name)).string();
}

void EntityFiles::saved(const std::string& collection, const std::string& name,
                        const nlohmann::json& entity) {
  const std::string target = path(collection, name);
  std::lock_guard lock(mutex_);
  try {
    std::error_code error;
    fs::create_directories(fs::path(target).parent_path(), error);
    write_file_atomically(target, entity.dump(), 0600);  // actions' code and parameters: ours only
  } catch (const std::exception& e) {
    ++write_errors_;
    log::error("entity ", collection, "/", name, " is not persisted (lost on restart): ", e.what());
  }
}

void EntityFiles::removed(const std::string& collection, const std::string& name) {
  const std::string target = path(collection, name);
  std::lock_guard lock(mutex_);
  std::error_code error;
  fs::remove(target, error);
  if (error) {
    ++write_errors_;
    log::error("cannot remove ", target,
               " (the entity would come back on restart): ", error.message());
  }
}

std::vector<StoredEntity> EntityFiles::load(const std::string& collection) {
  std::vector<StoredEntity> out;
  const fs::path dir = fs::path(dir_) / collection;
  std::error_code error;
  if (!fs::is_directory(dir, error)) return out;
  std::lock_guard lock(mutex_);
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string file = entry.path().filename().string();
    if (ends_with(file,
                  kAtomicTemporarySuffix)) {  // a write cut short: the entity file is the old one
      std::error_code ignored;
      fs::remove(entry.path(), ignored);
      continue;
    }
    if (!ends_with(file, kSuffix)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto entity = nlohmann::json::parse(text.str(), nullptr, false);
    std::string problem;
    if (!in || entity.is_discarded() || !entity.is_object()) {
      problem = "not a JSON object";
    } else if (!entity.contains("name") || !entity["name"].is_string()) {
      problem = "no \"name\"";
    } else if (file_name(entity["name"].get<std::string>()) != file) {
      problem = "its \"name\" " + entity["name"].dump() + " is not the file's";
    }
    if (!problem.empty()) {
      ++corrupt_;
      log::error("skipping the corrupt entity file ", entry.path().string(), ": ", problem);
      continue;
    }
    std::string name = entity["name"].get<std::string>();
    out.push_back({collection, std::move(name), std::move(entity)});
  }
  if (error) log::error("cannot list ", dir.string(), ": ", error.message());
  return out;
}

}  // namespace snet::whisk
