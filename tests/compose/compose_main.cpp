// Runs the compose tests, or reports them skipped (exit 77, ctest's SKIP_RETURN_CODE) when what
// they need is missing: `--mode config` and `--mode sync` need the docker-compose client;
// `--mode schema` a docker CLI; `--mode stack` also needs SNET_DOCKER set (tools/test.sh sets it
// once tools/docker-engine.sh made an engine available) and a Docker engine that answers;
// `--mode swarm` and `--mode cluster` that too, and the images of compose/stack (they build none).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
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
  const std::map<std::string, std::string> cases = {
      {"config", "compose config*"}, {"stack", "compose stack*"}, {"schema", "stack schema*"},
      {"sync", "stack sync*"},       {"swarm", "swarm:*"},        {"cluster", "compose cluster*"}};
  if (cases.count(mode) == 0) {
    std::cerr << "usage: " << argv[0]
              << " [--mode config|stack|schema|sync|swarm|cluster] [doctest options]\n";
    return 2;
  }
  if (mode == "schema") {
    if (::access("/usr/bin/docker", X_OK) != 0 && ::access("/usr/local/bin/docker", X_OK) != 0) {
      return skip("no docker CLI in /usr/bin or /usr/local/bin");
    }
  } else if (run_command("docker-compose version", std::chrono::seconds(30)).status != 0) {
    return skip("no docker-compose client (apt-get install docker-compose)");
  }
  if (mode == "stack" || mode == "swarm" || mode == "cluster") {
    const char* docker = std::getenv("SNET_DOCKER");
    if (docker == nullptr || *docker == '\0' || std::strcmp(docker, "0") == 0) {
      return skip("SNET_DOCKER is not set (tools/test.sh sets it when a Docker engine runs)");
    }
    if (run_command("docker info", std::chrono::seconds(30)).status != 0) {
      return skip("no Docker engine answers `docker info`");
    }
  }
  if (mode == "swarm" || mode == "cluster") {
    for (const std::string image : {"snet", "whisk", "mosquitto", "rabbitmq"}) {
      const std::string ref = "serverlessnet/" + image + ":" + snet::test::image_tag();
      if (run_command("docker image inspect " + ref, std::chrono::seconds(30)).status != 0) {
        return skip(ref + " is missing: compose/stack builds it (ctest -L compose)");
      }
    }
  }
  doctest::Context context(static_cast<int>(rest.size()), rest.data());
  context.addFilter("test-case", cases.at(mode).c_str());
  return context.run();
}
