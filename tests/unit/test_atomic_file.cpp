// snet::write_file_atomically: the whole text with the mode asked for, no temporary left, and an
// error naming the file when it cannot be written.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>

#include "harness.hpp"
#include "snet/atomic_file.hpp"

namespace fs = std::filesystem;

TEST_CASE("write_file_atomically replaces a file whole, with its mode, leaving no temporary") {
  snet::test::TempDir dir("atomic-file");
  const std::string path = dir.path() + "/state.json";
  snet::write_file_atomically(path, "old\n");
  snet::write_file_atomically(path, "new\n", 0600);
  CHECK(snet::test::read_text(path) == "new\n");
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK_FALSE(fs::exists(path + std::string(snet::kAtomicTemporarySuffix)));
}

TEST_CASE("write_file_atomically names the file it cannot write") {
  snet::test::TempDir dir("atomic-file");
  const std::string path = dir.path() + "/missing-dir/state.json";
  try {
    snet::write_file_atomically(path, "x");
    FAIL("written into a missing directory");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}
