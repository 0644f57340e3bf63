// `snet stack` (cli/stack_file.hpp): the checked-in docker-stack.yml is what it writes, and the
// file has what `docker stack deploy` on a kernel without IPVS needs.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness.hpp"
#include "snet/topology.hpp"
#include "stack_file.hpp"

using namespace snet;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What `snet stack -o docker-stack.yml` writes, run at the top of the source tree.
std::string generated() {
  cli::StackFileOptions options = cli::stack_file_options(
      test::source_path("topology/single.json"),
      test::source_path("broker-config/mosquitto-stack.conf"), test::source_path(""));
  options.command_line = "snet stack";
  return cli::stack_file(load_topology(test::source_path("topology/single.json")), options);
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("stack file: the checked-in docker-stack.yml is what snet stack writes") {
  const std::string checked_in = read_text(test::source_path("docker-stack.yml"));
  REQUIRE_FALSE(checked_in.empty());
  // After changing cli/stack_file.cpp, topology/single.json or the broker's configuration:
  //   build/cli/snet stack -o docker-stack.yml
  CHECK_MESSAGE(generated() == checked_in,
                "docker-stack.yml is stale: run `snet stack -o docker-stack.yml` at the top");
}

TEST_CASE("stack file: swarm without IPVS - dnsrr and host ports and no compose-only keys") {
  const std::string y = generated();
  CHECK(y.find("version: \"3.9\"\n") != std::string::npos);
  for (const char* compose_only :
       {"depends_on", "build:", "group_add", "restart:", "container_name"}) {
    CHECK_MESSAGE(y.find(compose_only) == std::string::npos, compose_only);
  }
  // Every service's deploy goes back to the dnsrr anchor: directly or through on-manager.
  CHECK(count(y, "endpoint_mode: dnsrr") == 1);
  CHECK(count(y, "deploy: *on-manager") + count(y, "<<: *on-manager") + count(y, "<<: *deploy") ==
        7);  // mosquitto rabbitmq whisk state relayer agent + the on-manager anchor
  // Five published ports, each in host mode (swarm's ingress mesh needs IPVS).
  CHECK(count(y, "published: ") == 5);
  CHECK(count(y, "mode: host}") == 5);
  CHECK(y.find("restart_policy: {condition: any") != std::string::npos);
  CHECK(y.find("snet: {driver: overlay, attachable: true}") != std::string::npos);
  CHECK(y.find("SNET_AGENT_SHARD: \"slot:{{.Task.Slot}}/${SNET_AGENTS:-1}\"") != std::string::npos);
  CHECK(y.find("replicas: ${SNET_AGENTS:-1}") != std::string::npos);
  CHECK(y.find("replicas: ${SNET_RELAYERS:-1}") != std::string::npos);
  CHECK(y.find("--resolve-image never") != std::string::npos);  // the header says how
}

TEST_CASE("stack file: configs are named by their content") {
  const Topology topology = load_topology(test::source_path("topology/single.json"));
  cli::StackFileOptions options;
  options.topology_file = "./t.json";
  options.topology_text = "{}";
  options.broker_conf_file = "./b.conf";
  options.broker_conf_text = "allow_anonymous false\n";
  const std::string before = cli::stack_file(topology, options);
  CHECK(cli::content_hash("") == "e3b0c44298fc");  // sha256sum of nothing, as the CLI prints it
  CHECK(before.find("topology: {name: snet-topology-" + cli::content_hash("{}") +
                    ", file: ./t.json}") != std::string::npos);
  CHECK(before.find("broker-conf: {name: snet-broker-" +
                    cli::content_hash("allow_anonymous false\n") + ", file: ./b.conf}") !=
        std::string::npos);
  options.topology_text = "{ }";  // a changed file gets a new config (configs are immutable)
  const std::string after = cli::stack_file(topology, options);
  CHECK(after.find("snet-topology-" + cli::content_hash("{ }")) != std::string::npos);
  CHECK(after.find("snet-topology-" + cli::content_hash("{}")) == std::string::npos);
  // Paths are relative to the stack file's folder, as docker stack deploy reads them.
  const auto named = cli::stack_file_options(
      test::source_path("topology/single.json"),
      test::source_path("broker-config/mosquitto-stack.conf"), test::source_path("topology"));
  CHECK(named.topology_file == "./single.json");
  CHECK(named.broker_conf_file == "../broker-config/mosquitto-stack.conf");
  CHECK_THROWS_AS(cli::stack_file_options("/nonexistent/t.json", "/nonexistent/b.conf", "/"),
                  std::runtime_error);
}

TEST_CASE("stack file: every login is a secret that only its user reads") {
  cli::StackFileOptions options;
  options.max_agents = 3;
  options.max_relayers = 2;
  const std::string y =
      cli::stack_file(load_topology(test::source_path("topology/single.json")), options);
  const auto accounts = cli::stack_service_accounts(3, 2);
  CHECK(accounts.size() == 7);  // relayer-1..2, state, whisk, agent-1..3
  for (const auto& account : accounts) {
    const std::string secret = cli::service_user(account.name) + ".password";
    CAPTURE(secret);
    // Declared once from the credentials folder, mounted where the compose file's volume has it.
    CHECK(count(y, "  " + secret +
                       ": {file: \"${SNET_STACK_SECRETS:-./stack-secrets}/credentials/" + secret +
                       "\"}\n") == 1);
    CHECK(count(y, "- {source: " + secret + ", target: /data/secrets/credentials/" + secret +
                       ", uid: \"10001\", gid: \"10001\", mode: 0400}\n") == 1);
  }
  CHECK(y.find("snet.agent-4.password") == std::string::npos);
  CHECK(y.find("source: mosquitto-passwd, target: /mosquitto/secrets/mosquitto/passwd, uid: "
               "\"1883\", gid: \"1883\", mode: 0400}") != std::string::npos);
  // Each task logs in as itself: snet.agent-K with its own password file.
  CHECK(y.find("mqtt://snet.agent-{{.Task.Slot}}@mosquitto:1883") != std::string::npos);
  CHECK(y.find("credentials/snet.agent-{{.Task.Slot}}.password") != std::string::npos);
  CHECK(y.find("SNET_BROKER_PASSWORD:") == std::string::npos);  // files only
}
