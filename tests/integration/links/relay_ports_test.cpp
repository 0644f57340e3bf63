// The relay's ports (network/relay_addresses.hpp): its listeners share one port on loopback
// addresses of their own, its connections to a loopback broker leave from the path's address,
// and a device's link is still its own (a cut cuts that device alone).
#include <doctest/doctest.h>

#include <poll.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "links_fixture.hpp"
#include "shaping_relay.hpp"

using namespace snet;
using namespace snet::test;
using boost::asio::ip::tcp;
using network::ShapingRelay;

namespace {

std::map<std::string, LinkSpec> device_links(int count) {
  std::map<std::string, LinkSpec> links;
  for (int i = 0; i < count; ++i) links.emplace("d" + std::to_string(i), LinkSpec{});
  return links;
}

std::string url_of(const tcp::endpoint& path) {
  return "mqtt://" + path.address().to_string() + ":" + std::to_string(path.port());
}

// A broker stand-in on 127.0.0.1: accepts one connection at a time, bounded.
struct Listener {
  boost::asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)};
  tcp::endpoint endpoint() const { return acceptor.local_endpoint(); }
  std::optional<tcp::socket> accept(std::chrono::seconds timeout) {
    std::optional<tcp::socket> accepted;
    acceptor.async_accept([&](const boost::system::error_code& ec, tcp::socket s) {
      if (!ec) accepted = std::move(s);
    });
    io.restart();
    io.run_for(timeout);
    if (!accepted) acceptor.cancel();
    return accepted;
  }
};

// How many of this namespace's IPv4 sockets bound to `address` are connecting (SYN-SENT).
int connecting_from(const boost::asio::ip::address_v4& address) {
  char local[9];
  std::snprintf(local, sizeof local, "%08X", __builtin_bswap32(address.to_uint()));
  std::ifstream table("/proc/net/tcp");
  std::string line;
  int connecting = 0;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, from, to, state;
    fields >> slot >> from >> to >> state;
    if (from.rfind(local, 0) == 0 && state == "02") ++connecting;  // TCP_SYN_SENT
  }
  return connecting;
}

}  // namespace

TEST_CASE("relay ports: 400 paths listen on one port, each on a loopback address of its own") {
  Listener broker;
  ShapingRelay relay(device_links(400));
  std::set<std::string> addresses;
  std::set<unsigned short> ports;
  std::vector<tcp::endpoint> paths;
  for (int i = 0; i < 400; ++i) {
    paths.push_back(
        relay.add_path("d" + std::to_string(i), {"d" + std::to_string(i)}, broker.endpoint()));
    addresses.insert(paths.back().address().to_string());
    ports.insert(paths.back().port());
  }
  CHECK(paths.front().address().to_string() == "127.64.0.1");  // RelayOptions' default
  CHECK(paths.back().address().to_string() == "127.64.1.144");
  CHECK(addresses.size() == 400);
  CHECK(ports.size() == 1);
  CHECK(relay.listen_ports() == 1);

  // The last path's device reaches the broker, which sees the path's address as the source (no
  // port of 127.0.0.1's taken), and bytes pass both ways.
  boost::asio::io_context io;
  tcp::socket device(io);
  device.connect(paths.back());
  auto upstream = broker.accept(std::chrono::seconds(5));
  REQUIRE(upstream);
  CHECK(upstream->remote_endpoint().address() == paths.back().address());
  boost::asio::write(device, boost::asio::buffer(std::string("ping")));
  std::string got(4, '\0');
  boost::asio::read(*upstream, boost::asio::buffer(got));
  CHECK(got == "ping");
  boost::asio::write(*upstream, boost::asio::buffer(std::string("pong")));
  boost::asio::read(device, boost::asio::buffer(got));
  CHECK(got == "pong");
}

TEST_CASE("relay ports: where another socket has the relay's port, that path gets another") {
  Listener broker;
  ShapingRelay relay(device_links(3));
  const tcp::endpoint first = relay.add_path("d0", {"d0"}, broker.endpoint());
  // Someone else (another stack's relay, say) listens on the next address with our port.
  boost::asio::io_context io;
  const tcp::endpoint taken(network::relay_address(first.address().to_v4(), 1), first.port());
  tcp::acceptor squatter(io, taken);
  const tcp::endpoint second = relay.add_path("d1", {"d1"}, broker.endpoint());
  const tcp::endpoint third = relay.add_path("d2", {"d2"}, broker.endpoint());
  CHECK(second.address() == taken.address());
  CHECK(second.port() != first.port());
  CHECK(third.port() == first.port());  // back to the relay's own
  CHECK(relay.listen_ports() == 2);
  tcp::socket device(io);
  device.connect(second);
  auto upstream = broker.accept(std::chrono::seconds(5));
  REQUIRE(upstream);
  CHECK(upstream->remote_endpoint().address() == second.address());
}

TEST_CASE(
    "relay ports: a device on its own address connects, and a cut of its link cuts it alone") {
  Mosquitto broker;
  const tcp::endpoint at(boost::asio::ip::address_v4::loopback(),
                         static_cast<unsigned short>(broker.port()));
  ShapingRelay relay(device_links(50));
  std::vector<tcp::endpoint> paths;
  for (int i = 0; i < 50; ++i) {
    paths.push_back(relay.add_path("d" + std::to_string(i), {"d" + std::to_string(i)}, at));
  }
  TimedRecorder sink(broker.url(), {"ports/#"});
  BusLoop loop;
  auto client = [&](int i) {
    BusOptions options;
    options.url = url_of(paths[static_cast<std::size_t>(i)]);
    options.client_id = "ports-d" + std::to_string(i);
    auto bus = loop.make_bus(options);
    bus->start();
    return bus;
  };
  auto cut_one = client(42), other = client(7);
  REQUIRE(cut_one->wait_connected(std::chrono::seconds(5)));
  REQUIRE(other->wait_connected(std::chrono::seconds(5)));

  LinkSpec down;
  down.up = false;
  REQUIRE(relay.set_link("d42", down));
  cut_one->publish(Message{"ports/d42", "held", false, {}}, Qos::at_least_once);
  other->publish(Message{"ports/d7", "passes", false, {}}, Qos::at_least_once);
  REQUIRE(sink.wait([](const auto& a) { return !a.empty(); }, std::chrono::seconds(5)));
  // A bounded look for what must not happen: d42's message, sent first, stays held.
  CHECK_FALSE(
      sink.wait([](const auto& a) { return a.size() > 1; }, std::chrono::milliseconds(500)));
  auto arrivals = sink.arrivals();
  REQUIRE(arrivals.size() == 1);
  CHECK(arrivals.front().message.topic == "ports/d7");

  REQUIRE(relay.set_link("d42", LinkSpec{}));
  REQUIRE(sink.wait([](const auto& a) { return a.size() == 2; }, std::chrono::seconds(5)));
  CHECK(sink.arrivals().back().message.payload == "held");
  cut_one->stop();
  other->stop();
}

TEST_CASE(
    "relay ports: a device that gives up before the broker accepts leaves no connect behind") {
  // A broker too busy to accept: its queue (backlog 1: two connections) is full, so the
  // kernel drops further SYNs and the relay's connect waits, retrying the SYN after 1 s.
  boost::asio::io_context io;
  tcp::acceptor busy(io);
  busy.open(tcp::v4());
  busy.bind(tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  busy.listen(1);
  std::vector<tcp::socket> queued;
  for (int i = 0; i < 2; ++i) {
    queued.emplace_back(io);
    queued.back().connect(busy.local_endpoint());
  }
  ShapingRelay relay(device_links(1));
  const tcp::endpoint path = relay.add_path("d0", {"d0"}, busy.local_endpoint());
  {
    tcp::socket device(io);
    device.connect(path);  // the relay accepts at once and connects on, unanswered
    boost::asio::write(device, boost::asio::buffer(std::string("CONNECT")));
    REQUIRE(eventually([&] { return connecting_from(path.address().to_v4()) == 1; }));
  }  // ... and the device gives up
  // The broker catches up: whatever it accepts from the path's address within the SYN's next
  // retries would be the relay's connection left behind (a bounded look for what must not be).
  busy.non_blocking(true);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  int from_path = 0, accepted = 0;
  while (std::chrono::steady_clock::now() < until) {
    boost::system::error_code ec;
    tcp::socket s = busy.accept(ec);
    if (ec == boost::asio::error::would_block) {
      ::poll(nullptr, 0, 20);  // not synchronisation: the accept loop's pace
      continue;
    }
    REQUIRE_FALSE(ec);
    ++accepted;
    if (s.remote_endpoint().address() == path.address()) ++from_path;
  }
  CHECK(accepted == 2);  // the queued ones
  CHECK(from_path == 0);
}
