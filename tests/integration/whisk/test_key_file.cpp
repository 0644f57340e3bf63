// The key snet-whisk generates per data directory (whisk.auth) and how a relayer elsewhere (a
// container on a shared volume, in docker-compose.yml) reads it: --openwhisk-auth-file, waited
// for within a bound, never the key on the command line.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "openwhisk_compute.hpp"
#include "snet/flags.hpp"
#include "whisk_defaults.hpp"
#include "whisk_fixture.hpp"
#include "whisk_key.hpp"

using namespace snet;
using namespace snet::openwhisk;
using namespace snet::test;

namespace {

// The relayer's own flags, parsed from `args` with no OPENWHISK_* of the caller's environment.
std::unique_ptr<openwhisk::OpenWhiskCompute> compute_from(const std::vector<std::string>& args,
                                                          Metrics& metrics) {
  for (const char* name : {"OPENWHISK_APIHOST", "OPENWHISK_AUTH", "OPENWHISK_AUTH_FILE",
                           "OPENWHISK_NAMESPACE", "SNET_OPENWHISK_AUTH_WAIT_MS"}) {
    ::unsetenv(name);
  }
  Flags flags("snet-relayer", "test");
  openwhisk::add_openwhisk_flags(flags);
  std::vector<const char*> argv = {"snet-relayer"};
  for (const auto& a : args) argv.push_back(a.c_str());
  REQUIRE(flags.parse(static_cast<int>(argv.size()), argv.data()));
  return openwhisk::make_openwhisk_compute(flags, metrics);
}

}  // namespace

TEST_CASE("a data directory's key is made once, whole, and read back by await_key_file") {
  TempDir dir("snet-key");
  const std::string key = openwhisk::data_dir_key(dir.path());
  CHECK(key != openwhisk::kDevAuth);
  CHECK(key.find(':') == 36);                         // uuid:key, as OpenWhisk's keys look
  CHECK(openwhisk::data_dir_key(dir.path()) == key);  // the second call finds it
  const std::string file = openwhisk::key_file(dir.path());
  CHECK(openwhisk::await_key_file(file, std::chrono::milliseconds(0)) == key);
  const auto perms = std::filesystem::status(file).permissions();
  CHECK((perms & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  // Nothing staged is left beside it.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
    ++files;
  CHECK(files == 1);
}

TEST_CASE("the relayer takes its key from --openwhisk-auth-file and invokes with it") {
  WhiskServer whisk;
  REQUIRE(whisk.put_action("flip_switch", "function main(p) { return {commands: {}}; }").status ==
          200);
  TempDir dir("snet-key");
  const std::string file = dir.path() + "/whisk.auth";
  std::ofstream(file) << WhiskServer::auth() << "\n";
  Metrics metrics;
  auto compute = compute_from({"--openwhisk-apihost", whisk.apihost(), "--openwhisk-namespace", "_",
                               "--openwhisk-auth-file", file},
                              metrics);
  const auto result = invoke_and_wait(*compute, press("flip_switch", {target("lamp-1")}));
  INFO(result.error);
  CHECK(result.error.empty());

  // A key given explicitly wins over the file (here a wrong one: 401 names the host).
  auto explicit_key = compute_from({"--openwhisk-apihost", whisk.apihost(), "--openwhisk-auth",
                                    "someone:else", "--openwhisk-auth-file", file},
                                   metrics);
  const auto refused = invoke_and_wait(*explicit_key, press("flip_switch", {target("lamp-1")}));
  CHECK(refused.error.find("401") != std::string::npos);
}

TEST_CASE("a key file that never appears ends the wait at its bound, naming the file") {
  TempDir dir("snet-key");
  const std::string file = dir.path() + "/whisk.auth";
  Metrics metrics;
  const auto started = std::chrono::steady_clock::now();
  try {
    compute_from({"--openwhisk-auth-file", file, "--openwhisk-auth-wait-ms", "300"}, metrics);
    FAIL("no error for a missing key file");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(file) != std::string::npos);
    CHECK(std::string(e.what()).find("--openwhisk-auth-file") != std::string::npos);
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= std::chrono::milliseconds(300));
  CHECK(waited < std::chrono::seconds(5));

  std::ofstream(file) << "no key here\n";
  CHECK_THROWS_WITH_AS(compute_from({"--openwhisk-auth-file", file}, metrics),
                       doctest::Contains("does not hold a key"), std::runtime_error);
}
