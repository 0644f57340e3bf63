// Runs the compose tests, or reports them skipped (exit 77, ctest's SKIP_RETURN_CODE) when what
// they need is missing: `--mode config` needs the docker-compose client; `--mode stack` also
// needs SNET_DOCKER set (tools/test.sh sets it once tools/docker-engine.sh made an engine
// available) and a Docker engine that answers.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "compose_project.hpp"

namespace {

constexpr int kSkipped = 77;

int skip(const std::string& why) {
  std::cout << "SKIPPED: " << why << std::endl;
  return kSkipped;
}

}  // namespace

int main(int argc, char** argv) {
  using snet::test::run_command;
  std::string mode = "stack";
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
      mode = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (mode != "config" && mode != "stack") {
    std::cerr << "usage: " << argv[0] << " [--mode config|stack] [doctest options]\n";
    return 2;
  }
  if (run_command("docker-compose version", std::chrono::seconds(30)).status != 0) {
    return skip("no docker-compose client (apt-get install docker-compose)");
  }
  if (mode == "stack") {
    const char* docker = std::getenv("SNET_DOCKER");
    if (docker == nullptr || *docker == '\0' || std::strcmp(docker, "0") == 0) {
      return skip("SNET_DOCKER is not set (tools/test.sh sets it when a Docker engine runs)");
    }
    if (run_command("docker info", std::chrono::seconds(30)).status != 0) {
      return skip("no Docker engine answers `docker info`");
    }
  }
  doctest::Context context(static_cast<int>(rest.size()), rest.data());
  context.addFilter("test-case", mode == "config" ? "compose config*" : "compose stack*");
  return context.run();
}
