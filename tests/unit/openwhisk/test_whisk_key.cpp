// The OpenWhisk key file in a data directory is the owner's only (it authorises every call).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "harness.hpp"
#include "whisk_key.hpp"

using namespace snet;

namespace {
unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE_MESSAGE(::stat(path.c_str(), &st) == 0, path);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("the data dir's OpenWhisk key is 0600, and a wider one is narrowed") {
  const mode_t saved = ::umask(0);
  test::TempDir dir;
  const std::string key = openwhisk::data_dir_key(dir.path());
  const std::string file = openwhisk::key_file(dir.path());
  CHECK(mode_of(file) == 0600);
  ::chmod(file.c_str(), 0644);
  CHECK(openwhisk::data_dir_key(dir.path()) == key);  // the same key, kept
  CHECK(mode_of(file) == 0600);
  ::umask(saved);
}
