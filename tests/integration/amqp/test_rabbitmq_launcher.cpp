// The RabbitMQ launcher: a node of its own beside another, loopback-only listeners, the
// definitions from broker-config/rabbitmq/, and nothing left running once it is stopped.
#include <doctest/doctest.h>

#include <dirent.h>
#include <csignal>

#include <fstream>
#include <set>
#include <sstream>

#include "amqp_test_support.hpp"
#include "harness.hpp"
#include "snet/net.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// pid -> parent pid, from /proc.
std::map<pid_t, pid_t> parents() {
  std::map<pid_t, pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    out[pid] = ppid;
  }
  ::closedir(dir);
  return out;
}

std::set<pid_t> descendants(pid_t root) {
  const auto all = parents();
  std::set<pid_t> found{root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, ppid] : all) {
      if (found.count(ppid) == 1 && found.insert(pid).second) grew = true;
    }
  }
  found.erase(root);
  return found;
}

// Running, or stopped: anything but gone or a zombie (exited; only its status is left, for a
// parent that may be init).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

// Local addresses of listening TCP sockets on `port`, as /proc/net/tcp{,6} write them.
std::set<std::string> listen_addresses(int port) {
  std::set<std::string> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const auto colon = local.rfind(':');
      if (state != "0A" || colon == std::string::npos) continue;  // 0A: LISTEN
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) {
        out.insert(local.substr(0, colon));
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a RabbitMQ node of our own: beside another, loopback only, and gone when stopped") {
  auto& shared = shared_rabbitmq();  // a second node, running at the same time
  TempDir dir("snet-rabbitmq-own");
  RabbitMqOptions opt;
  opt.amqp_port = free_port();
  opt.mqtt_port = free_port();
  opt.data_dir = dir.path();
  RabbitMqServer node(opt);
  MESSAGE("fresh RabbitMQ node ready in ", node.start_duration().count(), " ms");
  CHECK(node.node_name() != shared.server().node_name());

  // One node boot is 10-20 s, so the checks run in sequence on it rather than as subcases.
  {  // both nodes serve AMQP and MQTT independently
    Recorder own(node.amqp_url(), {"snet/own/#"});
    Recorder other(shared.amqp_url(), {"snet/own/#"});
    CHECK(mosquitto_pub(node.mqtt_port(), "snet/own/cmd/a", "to-own") == 0);
    CHECK(own.wait_for("snet/own/cmd/a", "to-own"));
    CHECK(mosquitto_pub(shared.mqtt_port(), "snet/own/cmd/a", "end") == 0);
    REQUIRE(other.wait_for("snet/own/cmd/a", "end"));
    CHECK(other.messages().size() == 1);  // not the other node's message
  }

  {  // every listener is on loopback, Erlang distribution and epmd included

    for (const int port :
         {node.amqp_port(), node.mqtt_port(), node.dist_port(), node.epmd_port()}) {
      std::string found;
      for (const auto& a : listen_addresses(port)) found += a + " ";
      INFO("port ", port, " listens on ", found);
      const auto addresses = listen_addresses(port);
      CHECK_FALSE(addresses.empty());
      for (const auto& a : addresses) {
        CHECK((a == "0100007F" || a == "00000000000000000000000001000000"));  // 127.0.0.1, ::1
      }
    }
  }

  {  // definitions: vhost snet, user snet, the routing exchanges; no guest
    const auto vhosts = node.rabbitmqctl({"list_vhosts", "--silent"});
    REQUIRE(vhosts.exit_code == 0);
    CHECK(vhosts.output.find("snet\n") != std::string::npos);
    const auto users = node.rabbitmqctl({"list_users", "--silent"});
    CHECK(users.output.find("snet\t") != std::string::npos);
    CHECK(users.output.find("guest") == std::string::npos);
    const auto exchanges =
        node.rabbitmqctl({"list_exchanges", "-p", "snet", "name", "type", "--silent"});
    CHECK(exchanges.output.find("snet.fanout\tfanout") != std::string::npos);
    CHECK(exchanges.output.find("snet.headers\theaders") != std::string::npos);
    CHECK(exchanges.output.find("amq.topic\ttopic") != std::string::npos);
  }

  {  // stop ends the node, its Erlang VM, helpers and epmd
    const pid_t script = node.process().pid();
    const pid_t epmd = node.epmd().pid();
    const auto vm_and_helpers = descendants(script);
    CHECK(vm_and_helpers.size() >= 1);  // beam.smp at least
    const auto stopping = std::chrono::steady_clock::now();
    node.stop();
    MESSAGE("stopped in ",
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  stopping)
                .count(),
            " ms");
    CHECK_FALSE(alive(script));
    CHECK_FALSE(alive(epmd));
    for (const pid_t pid : vm_and_helpers) {
      CAPTURE(pid);
      CHECK_FALSE(alive(pid));
    }
    CHECK_FALSE(wait_for_port("127.0.0.1", node.amqp_port(), 200ms));
  }
}

TEST_CASE("the launcher reports a node that cannot start, with its log") {
  TempDir dir("snet-rabbitmq-bad");
  const auto port = free_port();
  // Something already listens on the AMQP port: the node must fail to boot, and say why.
  RabbitMqOptions opt;
  opt.amqp_port = shared_rabbitmq().amqp_port();
  opt.mqtt_port = port;
  opt.data_dir = dir.path();
  CHECK_THROWS_WITH_AS(RabbitMqServer(opt, 60s), doctest::Contains("its log"), std::runtime_error);
}
