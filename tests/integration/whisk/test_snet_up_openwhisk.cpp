// `snet up` with an OpenWhisk of the user's: a separately started snet-whisk with its own key
// and namespace stands in for it. snet up starts no snet-whisk of its own, the relayers use that
// one (the key in their environment, never on a command line) and presses are applied through
// it; actions a topology names but the OpenWhisk lacks fail the start-up, named.
// snet-whisk serves plain HTTP only: for TLS with a self-signed certificate, socat terminates TLS
// in front of it (a certificate made by openssl for the test).
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <csignal>
#include <fstream>
#include <sstream>

#include "actions_command.hpp"
#include "curl_util.hpp"
#include "snet/net.hpp"
#include "snet/process.hpp"
#include "snet_up.hpp"
#include "whisk_defaults.hpp"
#include "whisk_fixture.hpp"
#include "whisk_key.hpp"

using namespace snet;
using namespace snet::test;

namespace {

const char* const kKey = "ext-0000-uuid:ext-secret-3f9c";
const char* const kSecret = "ext-secret-3f9c";
const char* const kNamespace = "extns";

// Two openwhisk buttons (flip_switch and scene) and one builtin.
const char* const kTopology = R"({
  "name": "extow",
  "compute": {"backend": "openwhisk", "action": "flip_switch"},
  "devices": [
    {"id": "hall", "kind": "button", "targets": ["lamp-1"]},
    {"id": "evening", "kind": "button", "targets": ["lamp-2"],
     "compute": {"backend": "openwhisk", "action": "scene"}},
    {"id": "raw", "kind": "button", "targets": ["lamp-2"],
     "compute": {"backend": "builtin", "action": "all_on"}},
    {"id": "lamp-1", "kind": "actuator"},
    {"id": "lamp-2", "kind": "actuator"}
  ]
})";

struct ExternalOpenWhisk {
  WhiskServer server{{"--auth", kKey, "--namespace", kNamespace}};
  TempDir dir{"ext-openwhisk"};
  std::string topology = dir.path() + "/extow.json";
  std::string no_wskprops = dir.path() + "/no-wskprops";
  ExternalOpenWhisk() { std::ofstream(topology) << kTopology; }

  openwhisk::HttpReply get(const std::string& path) const {
    return openwhisk::http_call("GET", server.apihost() + "/api/v1/namespaces/" + kNamespace + path,
                                kKey, "", 10s);
  }
  std::size_t activations_of(const std::string& action) const {
    const auto reply = get("/activations?name=" + action + "&limit=200");
    const auto list = nlohmann::json::parse(reply.body, nullptr, false);
    return list.is_array() ? list.size() : 0;
  }
};

// The processes snet up started, and whether any command line shows `text`.
bool any_command_line_of_stack_mentions(pid_t up, const std::string& text) {
  for (const auto& [pid, name] : descendants_of(up)) {
    if (read_text("/proc/" + std::to_string(pid) + "/cmdline").find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool stack_runs(pid_t up, const std::string& program) {
  for (const auto& [pid, name] : descendants_of(up)) {
    if (name.find(program) != std::string::npos) return true;
  }
  return false;
}

// socat terminating TLS (a fresh self-signed certificate) in front of `backend_port`.
class TlsProxy {
 public:
  explicit TlsProxy(int backend_port) : port_(free_port()) {
    const std::string cert = dir_.path() + "/cert.pem", key = dir_.path() + "/key.pem";
    ChildProcess openssl({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                          "-subj", "/CN=localhost", "-keyout", key, "-out", cert},
                         ChildProcess::Options{{}, dir_.path() + "/openssl.log", "=stdout", true});
    REQUIRE(openssl.wait_for(60s));
    REQUIRE(*openssl.exit_status() == 0);
    proxy_ =
        ChildProcess({"socat",
                      "OPENSSL-LISTEN:" + std::to_string(port_) +
                          ",bind=127.0.0.1,reuseaddr,fork,verify=0,cert=" + cert + ",key=" + key,
                      "TCP:127.0.0.1:" + std::to_string(backend_port)},
                     ChildProcess::Options{{}, dir_.path() + "/socat.log", "=stdout", true});
    REQUIRE(eventually(
        [&] {
          return openwhisk::http_call("GET", url() + "/ping", "", "", 2s, true).status == 200;
        },
        15s));
  }
  // socat forks a process per connection, in its process group: stop them all.
  ~TlsProxy() {
    if (proxy_.pid() > 0 && proxy_.running()) ::kill(-proxy_.pid(), SIGTERM);
    proxy_.stop();
  }
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir dir_{"tls-proxy"};
  int port_;
  ChildProcess proxy_;
};

}  // namespace

TEST_CASE("snet up --openwhisk-insecure: an OpenWhisk over TLS with a self-signed certificate") {
  ExternalOpenWhisk openwhisk;
  TlsProxy tls(openwhisk.server.port());
  // Verified TLS refuses the certificate: so does snet up, naming the URL, before anything runs.
  CHECK(openwhisk::http_call("GET", tls.url() + "/ping", "", "", 5s).status == 0);
  SnetUp::Options options;
  options.topology = openwhisk.topology;
  options.topology_name = "extow";
  options.extra_args = {"--openwhisk-apihost", tls.url(), "--openwhisk-namespace", kNamespace};
  options.env = {{"OPENWHISK_AUTH", kKey}, {"WSK_CONFIG_FILE", openwhisk.no_wskprops}};
  {
    auto refused = options;
    refused.wait_until_up = false;
    refused.extra_args.insert(refused.extra_args.end(), {"--actions-dir", source_path("actions")});
    SnetUp up(refused);
    REQUIRE(up.process().wait_for(60s));
    INFO(up.output());
    CHECK(WEXITSTATUS(*up.process().exit_status()) == 1);
    CHECK(up.output().find("PUT " + tls.url() + "/api/v1/namespaces/extns/actions/") !=
          std::string::npos);
  }
  options.extra_args.insert(options.extra_args.end(),
                            {"--openwhisk-insecure", "--actions-dir", source_path("actions")});
  SnetUp up(options);
  INFO(up.output());
  CHECK(up.service("whisk").is_null());
  CHECK_FALSE(up.press_until_applied("hall", "lamp-1", "tls").empty());
  CHECK(openwhisk.activations_of("flip_switch") >= 1);
}

TEST_CASE("snet up --openwhisk-*: presses run on that OpenWhisk, and no snet-whisk is started") {
  ExternalOpenWhisk openwhisk;
  SnetUp::Options options;
  options.topology = openwhisk.topology;
  options.topology_name = "extow";
  options.extra_args = {"--openwhisk-apihost",   openwhisk.server.apihost(),
                        "--openwhisk-namespace", kNamespace,
                        "--actions-dir",         source_path("actions")};
  options.env = {{"OPENWHISK_AUTH", kKey}, {"WSK_CONFIG_FILE", openwhisk.no_wskprops}};
  SnetUp up(options);
  INFO(up.output());
  CHECK(up.output().find("deployed action flip_switch to " + openwhisk.server.apihost()) !=
        std::string::npos);
  CHECK(openwhisk.get("/actions/scene").status == 200);
  CHECK(up.service("whisk").is_null());
  CHECK_FALSE(stack_runs(up.pid(), "snet-whisk"));
  CHECK_FALSE(any_command_line_of_stack_mentions(up.pid(), kSecret));

  CHECK_FALSE(up.press_until_applied("hall", "lamp-1", "ext").empty());
  CHECK(openwhisk.activations_of("flip_switch") >= 1);
  CHECK_FALSE(up.press_until_applied("evening", "lamp-2", "scene").empty());
  CHECK(openwhisk.activations_of("scene") >= 1);
}

TEST_CASE("snet up reads the OpenWhisk from the wsk properties file, as wsk does") {
  ExternalOpenWhisk openwhisk;
  // Deployed beforehand with `snet actions deploy` (-i is harmless over plain HTTP).
  {
    std::vector<std::string> args = {"snet",        "actions",
                                     "deploy",      source_path("actions"),
                                     "--apihost",   openwhisk.server.apihost(),
                                     "--auth",      kKey,
                                     "--namespace", kNamespace,
                                     "-i"};
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    REQUIRE(cli::actions_command(static_cast<int>(argv.size()), argv.data(), 2, out, err) == 0);
  }
  const std::string props = openwhisk.dir.path() + "/wskprops";
  std::ofstream(props) << "APIHOST=" << openwhisk.server.apihost() << "\nAUTH=" << kKey
                       << "\nNAMESPACE=" << kNamespace << "\n";
  SnetUp::Options options;
  options.topology = openwhisk.topology;
  options.topology_name = "extow";
  options.env = {{"WSK_CONFIG_FILE", props}};
  SnetUp up(options);
  INFO(up.output());
  CHECK(up.service("whisk").is_null());
  CHECK_FALSE(up.press_until_applied("hall", "lamp-1", "props").empty());
  CHECK(openwhisk.activations_of("flip_switch") >= 1);
}

TEST_CASE("snet up fails at start, naming every action the OpenWhisk lacks") {
  SUBCASE("an external OpenWhisk without the topology's actions") {
    ExternalOpenWhisk openwhisk;
    SnetUp::Options options;
    options.topology = openwhisk.topology;
    options.topology_name = "extow";
    options.extra_args = {"--openwhisk-apihost", openwhisk.server.apihost(),
                          "--openwhisk-namespace", kNamespace};
    options.env = {{"OPENWHISK_AUTH", kKey}, {"WSK_CONFIG_FILE", openwhisk.no_wskprops}};
    options.wait_until_up = false;
    SnetUp up(options);
    REQUIRE(up.process().wait_for(60s));
    INFO(up.output());
    CHECK(WIFEXITED(*up.process().exit_status()));
    CHECK(WEXITSTATUS(*up.process().exit_status()) == 1);
    CHECK(up.output().find("do not exist on " + openwhisk.server.apihost() +
                           " (namespace extns): flip_switch, scene") != std::string::npos);
    CHECK(up.output().find("Serverlessnet is up") == std::string::npos);
  }
  SUBCASE("the bundled snet-whisk, given an --actions-dir without them") {
    TempDir empty("no-actions");
    std::ofstream(empty.path() + "/other.js") << "function main(p) { return {commands: []}; }\n";
    ExternalOpenWhisk files;  // only for its topology file
    SnetUp::Options options;
    options.topology = files.topology;
    options.topology_name = "extow";
    options.extra_args = {"--actions-dir", empty.path()};
    options.env = {{"WSK_CONFIG_FILE", files.no_wskprops}};
    options.wait_until_up = false;
    SnetUp up(options);
    REQUIRE(up.process().wait_for(60s));
    INFO(up.output());
    CHECK(WEXITSTATUS(*up.process().exit_status()) == 1);
    CHECK(up.output().find("the bundled snet-whisk: flip_switch, scene") != std::string::npos);
  }
}

TEST_CASE("the demo topology's presses cross the bundled snet-whisk (flip_switch activations)") {
  TempDir none("no-wskprops");
  SnetUp::Options options;  // topology/single.json
  options.env = {{"WSK_CONFIG_FILE", none.path() + "/absent"}};
  SnetUp up(options);
  INFO(up.output());
  CHECK(up.output().find("has the topology's actions: flip_switch") != std::string::npos);
  const auto run = nlohmann::json::parse(read_text(up.data_dir() + "/run.json"), nullptr, false);
  const std::string apihost = run.value("openwhisk_apihost", "");
  REQUIRE(apihost.rfind("http://127.0.0.1:", 0) == 0);
  CHECK(up.service("whisk")["state"] == "running");
  CHECK_FALSE(up.press_until_applied("button-1", "actuator-1", "demo").empty());
  // A key generated for this data directory, not OpenWhisk's public guest key.
  const auto key = openwhisk::existing_data_dir_key(up.data_dir() + "/whisk");
  REQUIRE(key.has_value());
  CHECK(*key != openwhisk::kDevAuth);
  CHECK(openwhisk::http_call("GET", apihost + "/api/v1/namespaces/_/actions", openwhisk::kDevAuth,
                             "", 10s)
            .status == 401);
  const auto listed = openwhisk::http_call(
      "GET", apihost + "/api/v1/namespaces/_/activations?name=flip_switch", *key, "", 10s);
  const auto activations = nlohmann::json::parse(listed.body, nullptr, false);
  CHECK(activations.is_array());
  CHECK(activations.size() >= 1);
  // `snet actions deploy` finds that key in the data directory.
  const std::vector<std::string> args = {
      "snet",      "actions", "deploy",     source_path("actions"),
      "--apihost", apihost,   "--data-dir", up.data_dir()};
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  CHECK(cli::actions_command(static_cast<int>(argv.size()), argv.data(), 2, out, err) == 0);
  INFO(err.str());
}
