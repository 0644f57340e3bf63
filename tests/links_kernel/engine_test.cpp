// The kernel link engine on real namespaces: built and torn down, devices' own addresses, a
// rate limit, loss and a cut, with plain TCP between a device's placed socket and the core.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "address_plan.hpp"
#include "capabilities.hpp"
#include "engine_plan.hpp"
#include "kernel_shaper.hpp"
#include "namespace_builder.hpp"
#include "snet/socket_placement.hpp"
#include "snet/topology.hpp"
#include "tool.hpp"

using namespace snet;
using namespace snet::kernel;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kTopology = R"({
  "name": "kernel-test",
  "sites": [
    {"id": "campus"},
    {"id": "building", "parent": "campus"},
    {"id": "floor", "parent": "building"}
  ],
  "devices": [
    {"id": "b1", "kind": "button", "targets": ["l1"], "site": "floor"},
    {"id": "l1", "kind": "actuator", "site": "building"},
    {"id": "l2", "kind": "actuator"}
  ]
})";

// The namespaces of one test, torn down (and checked) when it ends.
struct Built {
  AddressPlan plan;
  explicit Built(const std::string& key) {
    const Topology topology = parse_topology_text(kTopology);
    plan =
        plan_addresses(topology, key + std::to_string(::getpid()), parse_ipv4_net("10.219.0.0/16"));
    REQUIRE(routes_overlapping(plan.pool).empty());
    build_namespaces(plan);
  }
  ~Built() { teardown_namespaces(plan.netns_prefix, plan.link_prefix); }
};

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in address_of(const std::string& ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// A listener on the core address (root namespace), on a kernel-chosen port.
struct Listener {
  FileDescriptor fd;
  int port = 0;
  explicit Listener(const std::string& ip) : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    auto a = address_of(ip, 0);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd.get(), 16) == 0);
    socklen_t length = sizeof a;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &length);
    port = ntohs(a.sin_port);
  }
  // Accepts one connection within `timeout`; its peer's address in `peer`.
  FileDescriptor accept(std::string& peer, std::chrono::milliseconds timeout = 5s) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return FileDescriptor();
    sockaddr_in a{};
    socklen_t length = sizeof a;
    FileDescriptor conn(
        ::accept4(fd.get(), reinterpret_cast<sockaddr*>(&a), &length, SOCK_CLOEXEC));
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
    peer = text;
    return conn;
  }
};

// A device's connection to the core listener, made in its site's namespace from its address.
FileDescriptor connect_as(const AddressPlan& plan, const std::string& device, const Listener& to) {
  const auto& d = plan.devices.at(device);
  const SocketPlacement placement{
      AddressPlan::netns_path(plan.sites[static_cast<std::size_t>(d.site)].netns), d.address.str()};
  FileDescriptor fd(open_placed_socket(placement));
  auto a = address_of(plan.core_address.str(), to.port);
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

// Writes as fast as the socket takes for `duration`; returns the bytes written.
std::size_t blast(int fd, std::chrono::milliseconds duration) {
  const std::string chunk(16 * 1024, 'x');
  std::size_t sent = 0;
  const auto end = Clock::now() + duration;
  while (Clock::now() < end) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 50) != 1) continue;
    const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  return sent;
}

// Reads for `duration`; returns the bytes read after `skip` (the burst at the start).
std::size_t drain(int fd, std::chrono::milliseconds skip, std::chrono::milliseconds duration) {
  std::string buffer(2048, '\0');  // small reads: the count follows the arrival closely
  std::size_t counted = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < skip + duration) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) != 1) continue;
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    if (Clock::now() - start >= skip) counted += static_cast<std::size_t>(n);
  }
  return counted;
}

// Sends `bytes` and reads them back on `reader`, at most `timeout`. Returns bytes received.
std::size_t transfer(int writer, int reader, std::size_t bytes, std::chrono::milliseconds timeout) {
  std::atomic<bool> done{false};
  std::thread sender([&] {
    const std::string chunk(bytes, 'y');
    std::size_t sent = 0;
    while (sent < bytes && !done) {
      pollfd p{writer, POLLOUT, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      const ssize_t n =
          ::send(writer, chunk.data() + sent, bytes - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<std::size_t>(n);
    }
  });
  std::string buffer(64 * 1024, '\0');
  std::size_t received = 0;
  const auto end = Clock::now() + timeout;
  while (received < bytes && Clock::now() < end) {
    pollfd p{reader, POLLIN, 0};
    if (::poll(&p, 1, 50) != 1) continue;
    const ssize_t n = ::recv(reader, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    received += static_cast<std::size_t>(n);
  }
  done = true;
  sender.join();
  return received;
}

}  // namespace

TEST_CASE(
    "kernel engine: namespaces are built and devices connect from their own addresses and "
    "nothing is left after teardown") {
  std::string prefix_ns, prefix_links;
  {
    Built built("own-address");
    const AddressPlan& plan = built.plan;
    prefix_ns = plan.netns_prefix;
    prefix_links = plan.link_prefix;
    CHECK(namespaces_with_prefix(prefix_ns).size() == plan.sites.size());
    Listener listener(plan.core_address.str());
    // b1 sits on a floor behind a building behind the campus: three namespaces of routing.
    for (const std::string device : {"b1", "l1", "l2"}) {
      CAPTURE(device);
      FileDescriptor client = connect_as(plan, device, listener);
      std::string peer;
      FileDescriptor server = listener.accept(peer);
      REQUIRE(server.get() >= 0);
      CHECK(peer == plan.devices.at(device).address.str());
      CHECK(transfer(client.get(), server.get(), 1000, 2s) == 1000);
    }
    // Building again (a restart after a crash) replaces what is there.
    build_namespaces(plan);
    CHECK(namespaces_with_prefix(prefix_ns).size() == plan.sites.size());
  }
  CHECK(namespaces_with_prefix(prefix_ns).empty());
  CHECK(links_with_prefix(prefix_links).empty());
  CHECK(teardown_namespaces(prefix_ns, prefix_links).empty());  // idempotent
}

TEST_CASE("kernel engine: a site's rate limit caps throughput within 15 % both ways") {
  Built built("rate");
  const AddressPlan& plan = built.plan;
  KernelShaper shaper(plan, {"loss_pct", "rate_kbit", "up"});
  LinkSpec limited;
  limited.rate_kbit = 2000;  // 250 KB/s
  REQUIRE(shaper.apply("building", limited).empty());
  Listener listener(plan.core_address.str());
  FileDescriptor client = connect_as(plan, "l1", listener);
  std::string peer;
  FileDescriptor server = listener.accept(peer);
  REQUIRE(server.get() >= 0);
  const double expected = 2000.0 * 1000 / 8;  // bytes per second on the wire
  for (const bool up : {true, false}) {
    CAPTURE(up);
    // The link's own counters (the outer veth end) over the window, and what the reader got:
    // the first is the shaper's rate, the second what an application sees (scheduling noise).
    auto wire_bytes = [&] {
      const auto t = shaper.traffic().at("building");
      return up ? t.bytes_up : t.bytes_down;
    };
    std::thread writer([&] { blast(up ? client.get() : server.get(), 4500ms); });
    std::uint64_t wire_before = 0;
    std::thread counter([&] {
      std::this_thread::sleep_for(1500ms);
      wire_before = wire_bytes();
    });
    const std::size_t bytes = drain(up ? server.get() : client.get(), 1500ms, 3s);
    const double wire = static_cast<double>(wire_bytes() - wire_before) / 3;
    counter.join();
    writer.join();
    drain(up ? server.get() : client.get(), 0ms, 1s);  // what is left in flight
    const double goodput = static_cast<double>(bytes) / 3;
    MESSAGE("wire ", wire, " B/s, goodput ", goodput, " B/s, limit ", expected, " B/s");
    CHECK(wire > expected * 0.85);
    CHECK(wire < expected * 1.15);
    CHECK(goodput > expected * 0.8);
    CHECK(goodput < expected * 1.2);
  }
  // A device link below its site's: the device's own rate wins for it.
  LinkSpec device;
  device.rate_kbit = 800;
  REQUIRE(shaper.apply("l1", device).empty());
  std::thread writer([&] { blast(client.get(), 4s); });
  const double rate = static_cast<double>(drain(server.get(), 1s, 3s)) / 3;
  writer.join();
  MESSAGE("device goodput ", rate, " B/s, limit ", 800.0 * 1000 / 8, " B/s");
  CHECK(rate > 800.0 * 1000 / 8 * 0.8);
  CHECK(rate < 800.0 * 1000 / 8 * 1.2);
  const auto traffic = shaper.traffic();
  CHECK(traffic.at("building").bytes_up > 200'000);
  CHECK(traffic.at("l1").bytes_up > 200'000);
  CHECK(traffic.at("l1").bytes_down > 0);
}

TEST_CASE("kernel engine: loss drops packets (counted) and TCP still delivers everything") {
  Built built("loss");
  const AddressPlan& plan = built.plan;
  KernelShaper shaper(plan, {"loss_pct", "rate_kbit", "up"});
  LinkSpec lossy;
  lossy.loss_pct = 10;
  REQUIRE(shaper.apply("campus", lossy).empty());  // b1's traffic crosses the campus uplink
  Listener listener(plan.core_address.str());
  FileDescriptor client = connect_as(plan, "b1", listener);
  std::string peer;
  FileDescriptor server = listener.accept(peer, 10s);
  REQUIRE(server.get() >= 0);
  for (int i = 0; i < 20; ++i) {
    CHECK(transfer(client.get(), server.get(), 2000, 10s) == 2000);
    CHECK(transfer(server.get(), client.get(), 2000, 10s) == 2000);
  }
  const auto traffic = shaper.traffic();
  CHECK(traffic.at("campus").dropped > 0);
  MESSAGE("dropped on the campus uplink: ", traffic.at("campus").dropped);
}

TEST_CASE("kernel engine: a cut stalls a connection until the link is back and loses nothing") {
  Built built("cut");
  const AddressPlan& plan = built.plan;
  KernelShaper shaper(plan, {"loss_pct", "rate_kbit", "up"});
  Listener listener(plan.core_address.str());
  FileDescriptor site_client = connect_as(plan, "l1", listener);
  std::string peer;
  FileDescriptor site_server = listener.accept(peer);
  FileDescriptor device_client = connect_as(plan, "l2", listener);
  FileDescriptor device_server = listener.accept(peer);
  REQUIRE(site_server.get() >= 0);
  REQUIRE(device_server.get() >= 0);
  LinkSpec cut;
  cut.up = false;
  REQUIRE(shaper.apply("building", cut).empty());  // a site: its veth goes down
  REQUIRE(shaper.apply("l2", cut).empty());        // a device: DROP both ways
  CHECK(transfer(site_client.get(), site_server.get(), 100, 1500ms) == 0);
  CHECK(transfer(device_server.get(), device_client.get(), 100, 1500ms) == 0);
  LinkSpec restored;
  restored.up = true;
  REQUIRE(shaper.apply("building", restored).empty());
  REQUIRE(shaper.apply("l2", restored).empty());
  // What was written during the cut arrives (retransmitted), then more.
  std::string buffer(1000, '\0');
  auto read_exactly = [&](int fd, std::size_t bytes) {
    std::size_t got = 0;
    const auto end = Clock::now() + 10s;
    while (got < bytes && Clock::now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      const ssize_t n = ::recv(fd, buffer.data(), bytes - got, MSG_DONTWAIT);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    return got;
  };
  CHECK(read_exactly(site_server.get(), 100) == 100);
  CHECK(read_exactly(device_client.get(), 100) == 100);
  CHECK(transfer(site_client.get(), site_server.get(), 100, 2s) == 100);
  CHECK(shaper.traffic().at("l2").dropped > 0);
}
