// The AMQP bus against a real RabbitMQ node: routing with MQTT-style wildcards, headers,
// publisher confirms, durable queues for stable client ids, heartbeats on an idle connection.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "amqp_test_support.hpp"
#include "harness.hpp"

using namespace snet;
using namespace snet::test;

namespace {

std::unique_ptr<Bus> started_bus(const std::string& url, const std::string& client_id = "",
                                 std::chrono::seconds keepalive = std::chrono::seconds(20)) {
  BusOptions opt;
  opt.url = url;
  opt.client_id = client_id;
  opt.keepalive = keepalive;
  auto bus = make_bus(opt);
  return bus;
}

std::multiset<std::string> topics_of(const std::vector<Message>& messages) {
  std::multiset<std::string> out;
  for (const auto& m : messages) out.insert(m.topic);
  return out;
}

}  // namespace

TEST_CASE("AMQP publish reaches AMQP subscribers through MQTT-style wildcard filters") {
  auto& rmq = shared_rabbitmq();
  const std::string t = unique("wild");
  const std::string root = "snet/" + t;
  Recorder one_level(rmq.amqp_url(), {root + "/cmd/+"});
  Recorder all_levels(rmq.amqp_url(), {root + "/#"});
  Recorder exact(rmq.amqp_url(), {root + "/state/lamp"});
  Recorder two_filters(rmq.amqp_url(), {root + "/state/+", root + "/cmd/fan"});

  auto pub = started_bus(rmq.amqp_url());
  pub->start();
  REQUIRE(pub->wait_connected(10s));
  for (const std::string& topic : {root + "/cmd/lamp", root + "/cmd/fan", root + "/cmd/a/b",
                                   root + "/state/lamp", "snet/other-" + t + "/cmd/lamp"}) {
    pub->publish({topic, "x", false, {}}, Qos::at_least_once);
  }
  // One publisher, one channel: each queue receives in publish order, so once the last message
  // a subscriber matches has arrived, nothing it should not have received can still come.
  pub->publish({root + "/cmd/end", "end", false, {}}, Qos::at_least_once);
  pub->publish({root + "/state/lamp", "end", false, {}}, Qos::at_least_once);

  REQUIRE(one_level.wait_for(root + "/cmd/end", "end"));
  REQUIRE(all_levels.wait_for(root + "/state/lamp", "end"));
  REQUIRE(exact.wait_for(root + "/state/lamp", "end"));
  REQUIRE(two_filters.wait_for(root + "/state/lamp", "end"));

  CHECK(topics_of(one_level.messages()) ==
        std::multiset<std::string>{root + "/cmd/lamp", root + "/cmd/fan", root + "/cmd/end"});
  CHECK(topics_of(all_levels.messages()) ==
        std::multiset<std::string>{root + "/cmd/lamp", root + "/cmd/fan", root + "/cmd/a/b",
                                   root + "/state/lamp", root + "/cmd/end", root + "/state/lamp"});
  CHECK(topics_of(exact.messages()) ==
        std::multiset<std::string>{root + "/state/lamp", root + "/state/lamp"});
  CHECK(topics_of(two_filters.messages()) ==
        std::multiset<std::string>{root + "/cmd/fan", root + "/state/lamp", root + "/state/lamp"});
}

TEST_CASE("AMQP messages carry binary payloads and string headers both ways") {
  auto& rmq = shared_rabbitmq();
  const std::string topic = "snet/" + unique("hdr") + "/cmd/lamp";
  Recorder rec(rmq.amqp_url(), {topic});
  auto pub = started_bus(rmq.amqp_url());
  pub->start();
  REQUIRE(pub->wait_connected(10s));
  const std::string binary("a\0b\xff", 4);
  pub->publish({topic, binary, false, {{"zone", "north"}, {"type", "lamp"}}}, Qos::at_least_once);
  REQUIRE(rec.wait([](const std::vector<Message>& all) { return !all.empty(); }));
  const Message got = rec.messages().front();
  CHECK(got.payload == binary);
  CHECK(got.headers == std::map<std::string, std::string>{{"type", "lamp"}, {"zone", "north"}});
  CHECK_FALSE(got.retained);
}

TEST_CASE("publisher confirms: every accepted publish is confirmed, refused ones say why") {
  auto& rmq = shared_rabbitmq();
  const std::string root = "snet/" + unique("confirm");
  Recorder rec(rmq.amqp_url(), {root + "/cmd/+"});
  auto pub = started_bus(rmq.amqp_url());
  BusEvents events;
  pub->start();
  REQUIRE(pub->wait_connected(10s));

  SUBCASE("QoS 1 and QoS 0, routed or not, are acknowledged by the broker") {
    for (int i = 0; i < 200; ++i) {
      pub->publish({root + "/cmd/lamp", std::to_string(i), false, {}}, Qos::at_least_once,
                   events.on_done());
    }
    pub->publish({root + "/cmd/lamp", "qos0", false, {}}, Qos::at_most_once, events.on_done());
    pub->publish({root + "/nobody/listens", "x", false, {}}, Qos::at_least_once, events.on_done());
    CHECK(events.wait([&] { return events.acked_locked() == 202; }, 10s));
    CHECK(events.failed() == 0);
    CHECK(rec.wait([](const std::vector<Message>& all) { return all.size() == 201; }));
  }

  SUBCASE("the broker's nack (a full reject-publish queue) reaches PublishDone as a failure") {
    // A queue that holds one message and refuses more: RabbitMQ nacks the publish.
    const std::string queue = unique("nack-q");
    RawAmqp raw(rmq.amqp_port());
    raw.declare_refusing_queue(queue, 1);
    raw.bind(queue, "snet." + root.substr(5) + ".full");
    for (int i = 0; i < 3; ++i) {
      pub->publish({root + "/full", std::to_string(i), false, {}}, Qos::at_least_once,
                   events.on_done());
    }
    REQUIRE(events.wait([&] { return events.acked_locked() + events.failed_locked() == 3; }, 10s));
    CHECK(events.acked() == 1);
    CHECK(events.failed() == 2);
    CHECK(events.errors().front().find("nack") != std::string::npos);
  }

  SUBCASE("messages AMQP cannot carry are refused at once, and the bus keeps working") {
    pub->publish({root + "/cmd/+", "x", false, {}}, Qos::at_least_once, events.on_done());
    pub->publish({root + "/" + std::string(300, 'k'), "x", false, {}}, Qos::at_least_once,
                 events.on_done());
    pub->publish({root + "/cmd/big", std::string(2 << 20, 'x'), false, {}}, Qos::at_least_once,
                 events.on_done());
    pub->publish({root + "/cmd/h", "x", false, {{std::string(300, 'h'), "v"}}}, Qos::at_least_once,
                 events.on_done());
    CHECK(events.failed() == 4);  // synchronously, on the publishing thread
    const auto errors = events.errors();
    CHECK(errors[0].find("wildcard") != std::string::npos);
    CHECK(errors[1].find("255") != std::string::npos);
    CHECK(errors[2].find("payload") != std::string::npos);
    CHECK(errors[3].find("header name") != std::string::npos);
    pub->publish({root + "/cmd/after", "ok", false, {}}, Qos::at_least_once, events.on_done());
    CHECK(rec.wait_for(root + "/cmd/after", "ok"));
    CHECK(events.wait([&] { return events.acked_locked() == 1; }, 5s));
  }
}

TEST_CASE("a stable client id keeps QoS 1 messages in a durable queue while the client is away") {
  auto& rmq = shared_rabbitmq();
  const std::string id = unique("device");
  const std::string topic = "snet/" + id + "/cmd/lamp";
  {
    auto device = started_bus(rmq.amqp_url(), id);
    device->subscribe(topic, Qos::at_least_once);
    device->start();
    REQUIRE(device->wait_connected(10s));
    device->stop();
  }
  auto pub = started_bus(rmq.amqp_url());
  BusEvents events;
  pub->start();
  REQUIRE(pub->wait_connected(10s));
  for (int i = 0; i < 5; ++i) {
    pub->publish({topic, "cmd-" + std::to_string(i), false, {}}, Qos::at_least_once,
                 events.on_done());
  }
  REQUIRE(events.wait([&] { return events.acked_locked() == 5; }, 10s));

  auto device = started_bus(rmq.amqp_url(), id);
  std::mutex mutex;
  std::vector<std::string> got;
  device->on_message([&](const Message& m) {
    std::lock_guard lock(mutex);
    got.push_back(m.payload);
  });
  device->subscribe(topic, Qos::at_least_once);
  device->start();
  CHECK(eventually([&] {
    std::lock_guard lock(mutex);
    return got.size() == 5;
  }));
  std::lock_guard lock(mutex);
  CHECK(got == std::vector<std::string>{"cmd-0", "cmd-1", "cmd-2", "cmd-3", "cmd-4"});
}

TEST_CASE("heartbeats keep an idle AMQP connection alive well past twice the interval") {
  auto& rmq = shared_rabbitmq();
  const std::string id = unique("idle");
  const std::string topic = "snet/" + id + "/cmd/lamp";
  auto bus = started_bus(rmq.amqp_url(), id, std::chrono::seconds(2));
  BusEvents events;
  events.watch(*bus);
  std::atomic<int> received{0};
  bus->on_message([&](const Message&) { ++received; });
  bus->subscribe(topic, Qos::at_least_once);
  bus->start();
  REQUIRE(bus->wait_connected(10s));

  // The broker really uses a 2 s heartbeat on this connection (else idleness proves nothing).
  const auto listed =
      rmq.server().rabbitmqctl({"list_connections", "--silent", "client_properties", "timeout"});
  INFO("rabbitmqctl said: ", listed.output);
  REQUIRE(listed.exit_code == 0);
  std::istringstream lines(listed.output);
  int ours_with_2s = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(id) != std::string::npos && line.size() > 2 &&
        line.substr(line.size() - 2) == "\t2") {
      ++ours_with_2s;
    }
  }
  CHECK(ours_with_2s == 1);

  // RabbitMQ drops a client that sent nothing for two intervals; wait for three and a half. The
  // wait ends early (and the test fails) if the connection drops.
  CHECK_FALSE(events.wait([&] { return events.downs_locked() > 0; }, 7s));
  CHECK(bus->connected());
  CHECK(events.ups() == 1);
  bus->publish({topic, "still here", false, {}}, Qos::at_least_once);
  CHECK(eventually([&] { return received == 1; }));
}

namespace {

// A bus of a stable client id and what it received, as "topic=payload".
struct Receiver {
  std::unique_ptr<Bus> bus;
  std::mutex mutex;
  std::multiset<std::string> got;

  Receiver(const std::string& url, const std::string& id) : bus(started_bus(url, id)) {
    bus->on_message([this](const Message& m) {
      std::lock_guard lock(mutex);
      got.insert(m.topic + "=" + m.payload);
    });
  }
  std::size_t received(const std::string& entry) {
    std::lock_guard lock(mutex);
    return got.count(entry);
  }
  // One queue delivers in order: once the marker published after `topic` has arrived, so would
  // have `topic`. Both are published by this bus itself, after whatever it was asked before.
  bool passes(const std::string& topic, const std::string& marker, const std::string& round) {
    bus->publish({topic, round, false, {}}, Qos::at_least_once);
    bus->publish({marker, round, false, {}}, Qos::at_least_once);
    REQUIRE(eventually([&] { return received(marker + "=" + round) == 1; }, 10s));
    return received(topic + "=" + round) == 1;
  }
};

}  // namespace

TEST_CASE("the AMQP bus unsubscribes: unbound before its next publish, and at its next connect") {
  auto& rmq = shared_rabbitmq();
  const std::string id = unique("unsubscriber");
  const std::string a = "snet/" + id + "/a", b = "snet/" + id + "/b";
  const std::string marker = "snet/" + id + "/marker";
  {
    Receiver r(rmq.amqp_url(), id);
    for (const auto& topic : {a, b, marker}) r.bus->subscribe(topic, Qos::at_least_once);
    r.bus->start();
    REQUIRE(r.bus->wait_connected(10s));
    CHECK(r.passes(a, marker, "1"));
    r.bus->unsubscribe(a);
    CHECK_FALSE(r.passes(a, marker, "2"));
    r.bus->subscribe(a, Qos::at_least_once);  // again: the unbind goes first, then the bind
    CHECK(r.passes(a, marker, "3"));
    r.bus->stop();
  }
  // The client's durable queue kept its bindings (b among them) while it was away; unsubscribed
  // before the bus connects, b is unbound there.
  Receiver r(rmq.amqp_url(), id);
  for (const auto& topic : {a, b, marker}) r.bus->subscribe(topic, Qos::at_least_once);
  r.bus->unsubscribe(b);
  r.bus->start();
  REQUIRE(r.bus->wait_connected(10s));
  CHECK_FALSE(r.passes(b, marker, "4"));
  CHECK(r.passes(a, marker, "5"));
}
