// Permission bits of what goes into a data directory: logs (a child's output, the supervisor's
// lines, rotated copies) and the history are not world-readable; secrets are the owner's only.
// Set whatever the umask, and narrowed on files an older version made wider.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness.hpp"
#include "log_rotation.hpp"
#include "snet/atomic_file.hpp"
#include "snet/file_modes.hpp"
#include "snet/process.hpp"
#include "sqlite_store.hpp"

using namespace snet;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE_MESSAGE(::stat(path.c_str(), &st) == 0, path);
  return st.st_mode & 07777;
}

// Runs the test body with umask 0, so what the code sets shows (not what the umask takes away).
struct NoUmask {
  mode_t saved = ::umask(0);
  ~NoUmask() { ::umask(saved); }
};

}  // namespace

TEST_CASE("open_append creates logs 0640 and narrows wider ones, never widens") {
  NoUmask no_umask;
  test::TempDir dir;
  const std::string fresh = dir.path() + "/fresh.log";
  int fd = open_append(fresh.c_str(), kLogFileMode);
  REQUIRE(fd >= 0);
  ::close(fd);
  CHECK(mode_of(fresh) == 0640);

  const std::string wide = dir.path() + "/wide.log";
  std::ofstream(wide) << "old\n";
  ::chmod(wide.c_str(), 0666);
  fd = open_append(wide.c_str(), kLogFileMode);
  REQUIRE(fd >= 0);
  CHECK(::write(fd, "new\n", 4) == 4);
  ::close(fd);
  CHECK(mode_of(wide) == 0640);

  const std::string narrow = dir.path() + "/narrow.log";
  std::ofstream(narrow) << "x\n";
  ::chmod(narrow.c_str(), 0600);
  CHECK(narrow_mode(narrow, kLogFileMode));
  CHECK(mode_of(narrow) == 0600);
  CHECK(narrow_mode(dir.path() + "/absent", kSecretFileMode));
}

TEST_CASE("a child's log, a rotated copy and a secret written atomically get their modes") {
  NoUmask no_umask;
  test::TempDir dir;
  const std::string log = dir.path() + "/agent.log";
  ChildProcess::Options options;
  options.stdout_path = log;
  options.stderr_path = "=stdout";
  ChildProcess child({"/bin/sh", "-c", "echo started"}, options);
  REQUIRE(child.wait_for(std::chrono::seconds(10)));
  CHECK(mode_of(log) == 0640);

  REQUIRE(cli::rotate_log_if_larger(log, 1));
  CHECK(mode_of(log + ".1") == 0640);

  const std::string key = dir.path() + "/password";
  write_file_atomically(key, "secret\n", kSecretFileMode);
  CHECK(mode_of(key) == 0600);
}

TEST_CASE("the history database and its write-ahead log are not world-readable") {
  NoUmask no_umask;
  test::TempDir dir;
  const std::string db = dir.path() + "/state.db";
  {
    state::SqliteStore store(db, "t");
    std::vector<state::EventRecord> batch(1);
    batch[0].device = "actuator-1";
    store.write(batch);
    CHECK(mode_of(db) == 0640);
    CHECK(mode_of(db + "-wal") == 0640);
  }
  ::chmod(db.c_str(), 0644);  // as an older version left it
  state::SqliteStore reopened(db, "t");
  CHECK(mode_of(db) == 0640);
  CHECK(reopened.current_states().size() == 1);
}
