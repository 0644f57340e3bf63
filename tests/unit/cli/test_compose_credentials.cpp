// The Docker stack's logins (cli/compose_credentials.hpp): what `snet compose-credentials`
// writes into the credentials volume, and how a `snet compose` override points its containers
// at them.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "compose_credentials.hpp"
#include "compose_override.hpp"
#include "harness.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/topology.hpp"

using namespace snet;
using namespace snet::cli;
using snet::test::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

int run(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"snet", "compose-credentials"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return compose_credentials_command(static_cast<int>(argv.size()), argv.data(), 2);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("compose credentials: the stack's services plus the override's agents") {
  const auto services = compose_service_accounts({"agent-b1", "agent"});
  REQUIRE(services.size() == 5);  // "agent" is there once
  CHECK(services[0].name == "relayer");
  CHECK(services[0].role == ServiceRole::relayer);
  CHECK(services[4].name == "agent-b1");
  CHECK(services[4].role == ServiceRole::agent);
}

TEST_CASE("compose credentials: Mosquitto's include names the files and the anonymous rule") {
  const std::string open = mosquitto_auth_conf("/mosquitto/secrets", true);
  CHECK(has(open, "\npassword_file /mosquitto/secrets/mosquitto/passwd\n"));
  CHECK(has(open, "\nacl_file /mosquitto/secrets/mosquitto/acl\n"));
  CHECK(has(open, "\nallow_anonymous true\n"));
  CHECK(has(mosquitto_auth_conf("/x", false), "\nallow_anonymous false\n"));
}

TEST_CASE("compose credentials: the command writes logins, ACL and token, a rerun keeps them") {
  TempDir dir("snet-compose-credentials");
  const std::string out = dir.path() + "/secrets";
  const std::string gid = std::to_string(::getgid());  // a group this process is in
  REQUIRE(run({"--topology", "single", "--dir", out, "--broker-dir", "/b", "--broker-group", gid,
               "--agents", "agent-button-1,agent-actuator-1", "--bind", "127.0.0.1"}) == 0);
  const std::string creds = out + "/credentials";
  CHECK(mode_of(creds) == 0700);
  for (const std::string user :
       {"snet.relayer", "snet.state", "snet.agent", "snet.whisk", "snet.agent-button-1"}) {
    CHECK_MESSAGE(mode_of(creds + "/" + user + ".password") == 0600, user);
  }
  const auto devices = read_credentials_file(creds + "/devices.credentials");
  CHECK(devices.count("button-1") == 1);
  // The broker's files: readable by the group only, never by others.
  CHECK(mode_of(out) == 0750);
  CHECK(mode_of(out + "/mosquitto") == 0750);
  for (const std::string file : {"passwd", "acl", "snet.conf"}) {
    CHECK_MESSAGE(mode_of(out + "/mosquitto/" + file) == 0640, file);
  }
  const std::string passwd = slurp(out + "/mosquitto/passwd");
  CHECK(has(passwd, "snet.agent-actuator-1:$"));  // hashed
  CHECK_FALSE(has(passwd, read_secret_file(creds + "/snet.state.password")));
  const std::string acl = slurp(out + "/mosquitto/acl");
  CHECK(has(acl, "user snet.agent-button-1\n"));
  CHECK(has(acl, "topic write snet/single/status/agent-button-1\n"));
  CHECK(has(slurp(out + "/mosquitto/snet.conf"), "allow_anonymous true\n"));
  CHECK(mode_of(out + "/http-token") == 0600);

  // Again, published beyond loopback: the same passwords and token, no anonymous clients.
  const std::string state_password = read_secret_file(creds + "/snet.state.password");
  const std::string token = slurp(out + "/http-token");
  REQUIRE(run({"--topology", "single", "--dir", out, "--bind", "0.0.0.0"}) == 0);
  CHECK(read_secret_file(creds + "/snet.state.password") == state_password);
  CHECK(slurp(out + "/http-token") == token);
  CHECK(has(slurp(out + "/mosquitto/snet.conf"), "allow_anonymous false\n"));
}

TEST_CASE("compose credentials: bad input is a usage error naming it") {
  TempDir dir("snet-compose-credentials");
  CHECK(run({"--dir", dir.path(), "--agents", "agent-1,evil/#"}) == 2);
  CHECK(run({"--dir", dir.path(), "--broker-group", "root"}) == 2);
  CHECK(run({"--dir", dir.path(), "--topology", dir.path() + "/missing.json"}) == 1);
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/credentials"));
}

TEST_CASE("compose override: each agent container logs in as itself, by file") {
  const Topology topology = parse_topology_text(R"({"name": "t", "devices": [
    {"id": "b1", "kind": "button", "targets": ["l1"]}, {"id": "l1", "kind": "actuator"}]})");
  const std::string y = compose_override(topology, {"/t.json", "snet compose t", false});
  CHECK(has(y,
            "      SNET_BROKER_URL: ${SNET_BROKER_URL:-mqtt://snet.agent-b1@mosquitto:1883}\n"
            "      SNET_BROKER_PASSWORD_FILE: ${SNET_BROKER_PASSWORD_FILE-/data/secrets/"
            "credentials/snet.agent-b1.password}\n"));
  CHECK(has(y,
            "SNET_DEVICE_CREDENTIALS_FILE: ${SNET_DEVICE_CREDENTIALS_FILE-/data/secrets/"
            "credentials/devices.credentials}\n"));
  CHECK(has(y, "    - credentials:/data/secrets:ro\n"));
  // The credentials service makes their logins; the broker is recreated to load them.
  CHECK(has(y, "  credentials:\n    environment:\n      SNET_TOPOLOGY: "));
  CHECK(has(y, "      SNET_COMPOSE_AGENTS: \"agent-b1,agent-l1\"\n"));
  CHECK(has(y, "  mosquitto:\n    environment:\n"));

  const Topology rabbit = parse_topology_text(R"({"name": "r", "broker": "rabbitmq",
    "devices": [{"id": "l1", "kind": "actuator"}]})");
  const std::string r = compose_override(rabbit, {"/r.json", "snet compose r", false});
  CHECK(has(r, "SNET_BROKER_URL: ${SNET_BROKER_URL:-amqp://snet:snet@rabbitmq:5672/snet}\n"));
  CHECK(has(r, "SNET_BROKER_PASSWORD_FILE: \"\"\n"));
  CHECK(has(r, "SNET_DEVICE_CREDENTIALS_FILE: \"\"\n"));
  CHECK_FALSE(has(r, "snet.agent-l1"));
}

TEST_CASE("compose credentials: a sensor's login may publish its own readings only") {
  TempDir dir("snet-compose-credentials");
  const std::string out = dir.path() + "/secrets";
  const std::string gid = std::to_string(::getgid());
  REQUIRE(run({"--topology", snet::test::source_path("topology/sensors.json"), "--dir", out,
               "--broker-dir", "/b", "--broker-group", gid, "--bind", "127.0.0.1"}) == 0);
  CHECK(read_credentials_file(out + "/credentials/devices.credentials").count("thermo-1") == 1);
  const std::string acl = slurp(out + "/mosquitto/acl");
  CHECK(has(acl,
            "\nuser thermo-1\ntopic write snet/sensors/presence/thermo-1\n"
            "topic write snet/sensors/reading/thermo-1\n\n"));
  CHECK_FALSE(has(acl, "topic write snet/sensors/reading/+"));
}
