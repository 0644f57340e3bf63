// The process engine's relay (network/shaping_relay) between our MQTT client and a real
// Mosquitto: throughput under a rate limit, loss as added delay, and a cut (held bytes, a
// waiting connect, a close the broker sees only after the restore), and a cluster's nodes in turn.
#include <doctest/doctest.h>

#include <optional>

#include <boost/asio/ip/address_v4.hpp>

#include "links_fixture.hpp"
#include "presser.hpp"
#include "shaping_relay.hpp"
#include "snet/net.hpp"
#include "snet/topics.hpp"

using namespace snet;
using namespace snet::test;
using network::ShapingRelay;

namespace {

LinkSpec link_spec(std::optional<double> latency, std::optional<double> loss,
                   std::optional<double> rate) {
  LinkSpec spec;
  spec.latency_ms = latency;
  spec.loss_pct = loss;
  spec.rate_kbit = rate;
  spec.seed = 42;
  return spec;
}

boost::asio::ip::tcp::endpoint broker_of(const Mosquitto& broker) {
  return {boost::asio::ip::address_v4::loopback(), static_cast<unsigned short>(broker.port())};
}

// A client of `relay`'s path for device `id`.
struct RelayedClient {
  RelayedClient(const boost::asio::ip::tcp::endpoint& path, const std::string& id,
                std::optional<Message> will = {},
                std::chrono::seconds keepalive = std::chrono::seconds(20)) {
    BusOptions options;
    options.url = "mqtt://" + path.address().to_string() + ":" + std::to_string(path.port());
    options.client_id = id;
    options.will = std::move(will);
    options.keepalive = keepalive;
    bus = loop.make_bus(options);
    bus->start();
  }
  ~RelayedClient() { bus->stop(); }
  BusLoop loop;
  std::unique_ptr<Bus> bus;
};

std::size_t count_on(const std::vector<Arrival>& arrivals, const std::string& topic) {
  return static_cast<std::size_t>(std::count_if(
      arrivals.begin(), arrivals.end(), [&](const auto& a) { return a.message.topic == topic; }));
}

}  // namespace

TEST_CASE("relay: a 256 kbit/s link caps a client's throughput to the broker within 15 %") {
  Mosquitto broker;
  ShapingRelay relay({{"d1", LinkSpec{}}, {"site", link_spec({}, {}, 256)}});
  const auto path = relay.add_path("d1", {"d1", "site"}, broker_of(broker));
  TimedRecorder sink(broker.url(), {"rate/#"});
  RelayedClient client(path, "rate-client");
  REQUIRE(client.bus->wait_connected(std::chrono::seconds(5)));

  constexpr int kMessages = 64;
  const std::string payload(1000, 'x');
  for (int i = 0; i < kMessages; ++i) {
    client.bus->publish(Message{"rate/d1", payload, false, {}}, Qos::at_least_once);
  }
  REQUIRE(sink.wait([](const auto& a) { return a.size() == kMessages; }, std::chrono::seconds(10)));
  const auto arrivals = sink.arrivals();
  // Bytes after the first arrival over the time they took: the link's rate, less MQTT headers.
  const double seconds =
      static_cast<double>(arrivals.back().at - arrivals.front().at) / 1'000'000.0;
  const double bytes_per_second = (kMessages - 1) * 1000.0 / seconds;
  MESSAGE("256 kbit/s link: ", bytes_per_second, " payload bytes/s (ideal 32000)");
  CHECK(bytes_per_second > 32000 * 0.85);
  CHECK(bytes_per_second < 32000 * 1.15);
  const auto counters = relay.counters();
  CHECK(counters.at("site").bytes[0] >= kMessages * 1000u);
  CHECK(counters.at("site").connections == 1);
}

TEST_CASE("relay: loss shows as retransmission delay and every message arrives") {
  Mosquitto broker;
  ShapingRelay relay({{"d1", link_spec(0, 25, {})}});
  const auto path = relay.add_path("d1", {"d1"}, broker_of(broker));
  TimedRecorder sink(broker.url(), {"loss/#"});
  RelayedClient client(path, "loss-client");
  REQUIRE(client.bus->wait_connected(std::chrono::seconds(5)));

  constexpr int kMessages = 40;
  std::vector<Micros> sent(kMessages);
  pace(kMessages, 40, [&](int i) {
    sent[static_cast<std::size_t>(i)] = now_us();
    client.bus->publish(Message{"loss/d1", std::to_string(i), false, {}}, Qos::at_least_once);
  });
  REQUIRE(sink.wait([](const auto& a) { return a.size() == kMessages; }, std::chrono::seconds(20)));
  std::vector<double> delays_ms;
  for (const auto& arrival : sink.arrivals()) {
    const auto i = static_cast<std::size_t>(std::stoi(arrival.message.payload));
    delays_ms.push_back(static_cast<double>(arrival.at - sent[i]) / 1000.0);
  }
  const double longest = *std::max_element(delays_ms.begin(), delays_ms.end());
  const double shortest = *std::min_element(delays_ms.begin(), delays_ms.end());
  MESSAGE("25 % loss: delays from ", shortest, " to ", longest, " ms");
  CHECK(shortest < 20);   // segments not lost pass at once
  CHECK(longest >= 195);  // a lost one waits for an RTO (200 ms at least)
  CHECK(relay.counters().at("d1").lost > 0);
}

TEST_CASE("relay: a cut holds bytes and connects and closes until the restore with nothing lost") {
  Mosquitto broker;
  ShapingRelay relay({{"d1", LinkSpec{}}, {"site", LinkSpec{}}});
  const auto path = relay.add_path("d1", {"d1", "site"}, broker_of(broker));
  TimedRecorder sink(broker.url(), {"cut/#"});
  const Message will{"cut/will", "gone", false, {}};
  RelayedClient client(path, "cut-client", will);
  REQUIRE(client.bus->wait_connected(std::chrono::seconds(5)));

  LinkSpec down;
  down.up = false;
  REQUIRE(relay.set_link("site", down));
  CHECK_FALSE(relay.set_link("nope", down));
  for (int i = 0; i < 10; ++i) {
    client.bus->publish(Message{"cut/data", std::to_string(i), false, {}}, Qos::at_least_once);
  }
  RelayedClient late(path, "cut-late");  // its connect cannot reach the broker
  // Nothing may pass while the link is cut (a bounded look for what must not happen).
  CHECK_FALSE(late.bus->wait_connected(std::chrono::milliseconds(500)));
  // The client dies without DISCONNECT (its publishes were written long ago): the broker must
  // not see the close before the data, so its last will comes after the restore, last.
  client.bus->control(ConnectionControl::crash);
  CHECK(sink.arrivals().empty());

  REQUIRE(relay.set_link("site", LinkSpec{}));
  REQUIRE(sink.wait([](const auto& a) { return count_on(a, "cut/will") == 1; },
                    std::chrono::seconds(5)));
  const auto arrivals = sink.arrivals();
  std::vector<std::string> data;
  for (const auto& a : arrivals)
    if (a.message.topic == "cut/data") data.push_back(a.message.payload);
  MESSAGE("data: ", data.size(), " will at ", arrivals.size());
  CHECK(data == std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  CHECK(arrivals.back().message.topic == "cut/will");  // the close came after the data
  CHECK(late.bus->wait_connected(std::chrono::seconds(5)));
}

TEST_CASE("relay: a cut longer than the keep-alive makes the broker publish the last will") {
  Mosquitto broker;
  ShapingRelay relay({{"d1", LinkSpec{}}});
  const auto path = relay.add_path("d1", {"d1"}, broker_of(broker));
  TimedRecorder sink(broker.url(), {"dead/#"});
  RelayedClient client(path, "dead-client", Message{"dead/will", "gone", false, {}},
                       std::chrono::seconds(1));
  REQUIRE(client.bus->wait_connected(std::chrono::seconds(5)));
  LinkSpec down;
  down.up = false;
  const Micros cut_at = now_us();
  REQUIRE(relay.set_link("d1", down));
  // No close reaches the broker: it gives up on its own after 1.5 x the keep-alive (1 s),
  // checked by Mosquitto 2.0 every 5 s.
  REQUIRE(sink.wait([](const auto& a) { return count_on(a, "dead/will") == 1; },
                    std::chrono::seconds(10)));
  const double after_s = static_cast<double>(sink.arrivals().front().at - cut_at) / 1e6;
  MESSAGE("last will ", after_s, " s after the cut");
  CHECK(after_s >= 1.5);
  // Restored: the client, which gave up on its stalled connection, is back.
  REQUIRE(relay.set_link("d1", LinkSpec{}));
  CHECK(client.bus->wait_connected(std::chrono::seconds(10)));
}

TEST_CASE("relay: AMQP devices cross it like MQTT ones (RabbitMQ, 30 ms each way)") {
  RabbitMq& rabbit = shared_rabbitmq();
  const HostPort amqp = parse_url(rabbit.amqp_url(), 5672);
  ShapingRelay relay({{"d1", link_spec(30, {}, {})}});
  const auto path = relay.add_path(
      "d1", {"d1"},
      {boost::asio::ip::address_v4::loopback(), static_cast<unsigned short>(amqp.port)});
  BusOptions options;
  options.url = "amqp://" + amqp.user + ":" + amqp.password + "@" + path.address().to_string() +
                ":" + std::to_string(path.port()) + amqp.path;
  options.client_id = "links-amqp-device";
  auto device = make_bus(options);
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<Micros> echoes;
  device->on_message([&](const Message&) {
    std::lock_guard lock(mutex);
    echoes.push_back(now_us());
    arrived.notify_all();
  });
  device->subscribe("links/amqp/echo", Qos::at_least_once);
  device->start();
  REQUIRE(device->wait_connected(std::chrono::seconds(10)));
  // Up to the broker and back down to the same device: two crossings of 30 ms.
  const Micros sent = now_us();
  device->publish(Message{"links/amqp/echo", "ping", false, {}}, Qos::at_least_once);
  std::unique_lock lock(mutex);
  REQUIRE(arrived.wait_for(lock, std::chrono::seconds(5), [&] { return !echoes.empty(); }));
  const double ms = static_cast<double>(echoes.front() - sent) / 1000.0;
  lock.unlock();
  MESSAGE("AMQP echo through a 30 ms link: ", ms, " ms");
  CHECK(ms >= 60);
  CHECK(ms < 120);
  CHECK(relay.counters().at("d1").bytes[0] > 0);
  device->stop();
}

TEST_CASE("relay: a path to a cluster skips a node that refuses and moves on when a node ends it") {
  const auto loopback = boost::asio::ip::address_v4::loopback();
  const auto nobody = static_cast<unsigned short>(free_port());  // refuses: nothing listens
  std::optional<Mosquitto> first(std::in_place);
  Mosquitto second;
  ShapingRelay relay({{"d1", LinkSpec{}}});
  const auto path =
      relay.add_path("d1", {"d1"}, {{loopback, nobody}, broker_of(*first), broker_of(second)});
  std::optional<TimedRecorder> on_first(std::in_place, first->url(),
                                        std::vector<std::string>{"nodes/#"});
  TimedRecorder on_second(second.url(), {"nodes/#"});
  RelayedClient client(path, "nodes-client");
  REQUIRE(client.bus->wait_connected(std::chrono::seconds(5)));
  client.bus->publish(Message{"nodes/a", "1", false, {}}, Qos::at_least_once);
  CHECK(on_first->wait([](const auto& a) { return count_on(a, "nodes/a") == 1; },
                       std::chrono::seconds(5)));

  // The node dies: the path's next connection goes to the next node. Sent until it arrives,
  // as the client may still be reconnecting.
  on_first.reset();
  first.reset();
  int sent = 0;
  const bool moved = eventually(
      [&] {
        client.bus->publish(Message{"nodes/b", std::to_string(++sent), false, {}},
                            Qos::at_least_once);
        return on_second.wait([](const auto& a) { return count_on(a, "nodes/b") > 0; },
                              std::chrono::milliseconds(500));
      },
      std::chrono::seconds(20));
  CHECK(moved);
  CHECK(count_on(on_second.arrivals(), "nodes/a") == 0);
}
