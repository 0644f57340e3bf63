#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>

#include "harness.hpp"
#include "snet/bus_loop.hpp"
#include "snet/net.hpp"

using namespace snet;
using namespace snet::test;

TEST_CASE("the MQTT bus publishes and receives through a real mosquitto") {
  Mosquitto broker;
  Recorder recorder(broker.url(), {"snet/t/#"});
  BusOptions opt;
  opt.url = broker.url();
  auto bus = make_bus(opt);
  bus->start();
  REQUIRE(bus->wait_connected(5s));
  std::atomic<int> acked{0};
  bus->publish({"snet/t/press/b", "{}", false, {}}, Qos::at_least_once,
               [&](bool ok, const std::string&) { acked += ok ? 1 : 0; });
  CHECK(recorder.wait_for("snet/t/press/b"));
  CHECK(eventually([&] { return acked == 1; }));
}

TEST_CASE("the MQTT bus connects once the broker appears, and re-subscribes after a restart") {
  const int port = free_port();
  BusOptions opt;
  opt.url = "mqtt://127.0.0.1:" + std::to_string(port);
  auto bus = make_bus(opt);
  std::atomic<int> received{0};
  bus->on_message([&](const Message&) { ++received; });
  bus->subscribe("snet/t/cmd/+", Qos::at_least_once);
  bus->start();
  CHECK_FALSE(bus->wait_connected(300ms));  // nothing listens yet

  TempDir dir;
  MosquittoOptions mo;
  mo.port = port;
  mo.data_dir = dir.path();
  MosquittoServer server(mo);
  REQUIRE(bus->wait_connected(10s));
  CHECK(mosquitto_pub(port, "snet/t/cmd/a", "x") == 0);
  CHECK(eventually([&] { return received == 1; }));

  server.restart();
  REQUIRE(eventually([&] { return bus->connected(); }, 10s));
  CHECK(mosquitto_pub(port, "snet/t/cmd/a", "y") == 0);
  CHECK(eventually([&] { return received == 2; }));
}

TEST_CASE("the Asio MQTT bus refuses a topic or client id past MQTT's limits, and goes on") {
  Mosquitto broker;
  Recorder recorder(broker.url(), {"snet/t/#"});
  BusLoop loop;
  BusOptions opt;
  opt.url = broker.url();
  opt.client_id = std::string(70000, 'c');
  CHECK_THROWS_WITH_AS(loop.make_bus(opt), doctest::Contains("at most 65,535"),
                       std::invalid_argument);
  opt.client_id = "limits";
  auto bus = loop.make_bus(opt);
  bus->start();
  REQUIRE(bus->wait_connected(5s));
  std::mutex mutex;
  std::string refusal;
  std::atomic<int> answered{0};
  bus->publish({"snet/t/" + std::string(70000, 'x'), "{}", false, {}}, Qos::at_least_once,
               [&](bool ok, const std::string& error) {
                 std::lock_guard lock(mutex);
                 refusal = ok ? "published" : error;
                 ++answered;
               });
  CHECK_THROWS_AS(bus->subscribe(std::string(70000, 'f'), Qos::at_least_once),
                  std::invalid_argument);
  CHECK_THROWS_AS(bus->unsubscribe(std::string(70000, 'f')), std::invalid_argument);
  bus->publish({"snet/t/after", "{}", false, {}}, Qos::at_least_once);
  CHECK(recorder.wait_for("snet/t/after"));
  REQUIRE(eventually([&] { return answered == 1; }));
  std::lock_guard lock(mutex);
  CHECK(refusal.find("at most 65,535") != std::string::npos);
  CHECK(bus->connected());
}

namespace {
bool saw(Recorder& recorder, const std::string& topic) {
  for (const Message& m : recorder.messages())
    if (m.topic == topic) return true;
  return false;
}

// Which of two brokers the bus is connected to (0 or 1): the one whose recorder saw its probe.
int serving_broker(Bus& bus, Recorder& first, Recorder& second, const std::string& probe) {
  bus.publish({probe, "{}", false, {}}, Qos::at_least_once);
  if (!eventually([&] { return saw(first, probe) || saw(second, probe); })) return -1;
  return saw(first, probe) ? 0 : 1;
}

// Two brokers in one URL; the one serving the bus stops: it moves to the other with its QoS 1
// publish and its subscription.
void check_failover(bool asio_client) {
  Mosquitto a, b;
  Recorder on_a(a.url(), {"snet/t/#"}), on_b(b.url(), {"snet/t/#"});
  BusLoop loop;
  BusOptions opt;
  opt.url =
      "mqtt://127.0.0.1:" + std::to_string(a.port()) + ",127.0.0.1:" + std::to_string(b.port());
  opt.client_id = "failover";
  auto bus = asio_client ? loop.make_bus(opt) : make_bus(opt);
  std::atomic<int> commands{0};
  bus->on_message([&](const Message&) { ++commands; });
  bus->subscribe("snet/t/cmd/failover", Qos::at_least_once);
  bus->start();
  REQUIRE(bus->wait_connected(5s));
  const int first = serving_broker(*bus, on_a, on_b, "snet/t/probe/1");
  REQUIRE(first >= 0);

  (first == 0 ? a : b).server().stop();
  Recorder& survivor = first == 0 ? on_b : on_a;
  std::atomic<int> acked{0};
  bus->publish({"snet/t/press/after", "{}", false, {}}, Qos::at_least_once,
               [&](bool ok, const std::string&) { acked += ok ? 1 : 0; });
  CHECK(survivor.wait_for("snet/t/press/after", "", 10s));
  CHECK(eventually([&] { return acked == 1; }));
  const int other_port = first == 0 ? b.port() : a.port();
  CHECK(eventually([&] {
    if (commands > 0) return true;
    (void)mosquitto_pub(other_port, "snet/t/cmd/failover", "x");
    return false;
  }));
}

// A "broker" that accepts TCP connections and never answers CONNECT.
class SilentBroker {
 public:
  SilentBroker() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    port_ = ntohs(address.sin_port);
  }
  ~SilentBroker() {
    for (int fd : accepted_) ::close(fd);
    ::close(fd_);
  }
  SilentBroker(const SilentBroker&) = delete;
  SilentBroker& operator=(const SilentBroker&) = delete;

  int port() const { return port_; }
  // Accepts (and keeps open, unanswered) the connection that arrives within `timeout`.
  bool accept_one(std::chrono::milliseconds timeout) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(timeout.count())) != 1) return false;
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return false;
    accepted_.push_back(fd);
    return true;
  }

 private:
  int fd_;
  int port_ = 0;
  std::vector<int> accepted_;
};

}  // namespace

TEST_CASE("the Asio MQTT bus gives up on a broker that accepts and never answers, and retries") {
  SilentBroker silent;
  BusLoop loop;
  BusOptions opt;
  opt.url = "mqtt://127.0.0.1:" + std::to_string(silent.port());
  opt.client_id = "unanswered";
  opt.connect_timeout = 300ms;
  auto bus = loop.make_bus(opt);
  bus->start();
  REQUIRE(silent.accept_one(5s));
  // Without a bound the first attempt would wait for its CONNACK forever.
  CHECK(silent.accept_one(5s));
  CHECK_FALSE(bus->connected());
}

TEST_CASE("the Asio MQTT bus given several brokers fails over to the next when its own stops") {
  check_failover(/*asio_client=*/true);
}

TEST_CASE("the Paho MQTT bus given several brokers fails over to the next when its own stops") {
  check_failover(/*asio_client=*/false);
}

TEST_CASE("the Asio MQTT bus unsubscribes, also from its persistent session while it is away") {
  Mosquitto broker;
  BusLoop loop;
  BusOptions opt;
  opt.url = broker.url();
  opt.client_id = "unsubscriber";
  opt.persistent_session = true;
  auto bus = loop.make_bus(opt);
  std::mutex mutex;
  std::multiset<std::string> got;
  bus->on_message([&](const Message& m) {
    std::lock_guard lock(mutex);
    got.insert(m.topic + "=" + m.payload);
  });
  const auto received = [&](const std::string& entry) {
    std::lock_guard lock(mutex);
    return got.count(entry);
  };
  for (const char* topic : {"snet/t/a", "snet/t/b", "snet/t/marker"})
    bus->subscribe(topic, Qos::at_least_once);
  bus->start();
  REQUIRE(bus->wait_connected(5s));
  // A broker delivers one session's messages in order: once the marker published after
  // snet/t/a has arrived, so would have snet/t/a.
  const auto gone = [&](const std::string& topic, const std::string& round) {
    REQUIRE(mosquitto_pub(broker.port(), topic, round) == 0);
    REQUIRE(mosquitto_pub(broker.port(), "snet/t/marker", round) == 0);
    REQUIRE(eventually([&] { return received("snet/t/marker=" + round) == 1; }));
    return received(topic + "=" + round) == 0;
  };
  CHECK_FALSE(gone("snet/t/a", "1"));  // subscribed: it comes

  bus->unsubscribe("snet/t/a");
  CHECK(gone("snet/t/a", "2"));

  // Away: the broker's session keeps snet/t/b until the bus is back and unsubscribes it there.
  REQUIRE(bus->control(ConnectionControl::offline));
  REQUIRE(eventually([&] { return !bus->connected(); }));
  bus->unsubscribe("snet/t/b");
  REQUIRE(bus->control(ConnectionControl::online));
  REQUIRE(bus->wait_connected(5s));
  CHECK(gone("snet/t/b", "3"));
  CHECK(received("snet/t/a=2") + received("snet/t/b=3") == 0);
}
