// The AMQP bus when things go wrong: RabbitMQ restarts, a broker that stops answering, and
// messages our own bus would never send (odd header types, empty and large bodies) or that
// break the handler.
#include <doctest/doctest.h>

#include <csignal>
#include <future>
#include <set>

#include "amqp_test_support.hpp"
#include "harness.hpp"
#include "snet/net.hpp"

using namespace snet;
using namespace snet::test;

namespace {

// A bus that records payloads it receives, with connection events.
struct Device {
  Device(const std::string& url, const std::string& filter, const std::string& client_id = "",
         std::chrono::seconds keepalive = std::chrono::seconds(20)) {
    BusOptions opt;
    opt.url = url;
    opt.client_id = client_id;
    opt.keepalive = keepalive;
    bus = make_bus(opt);
    events.watch(*bus);
    bus->on_message([this](const Message& m) {
      std::lock_guard lock(mutex);
      payloads.insert(m.payload);
      ++count;
    });
    bus->subscribe(filter, Qos::at_least_once);
    bus->start();
  }
  // The bus goes first: its handlers and connection events use the members below.
  ~Device() { bus->stop(); }
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  bool has_all(const std::vector<std::string>& wanted) {
    std::lock_guard lock(mutex);
    for (const auto& w : wanted) {
      if (payloads.count(w) == 0) return false;
    }
    return true;
  }
  std::unique_ptr<Bus> bus;
  BusEvents events;
  std::mutex mutex;
  std::set<std::string> payloads;
  int count = 0;
};

// Resumes a stopped (SIGSTOP) process group whatever happens in the test.
struct Thaw {
  pid_t group;
  ~Thaw() { ::kill(-group, SIGCONT); }
};

}  // namespace

TEST_CASE(
    "after a RabbitMQ restart the AMQP bus reconnects, re-subscribes, loses no QoS 1 message") {
  auto& rmq = shared_rabbitmq();
  const std::string root = "snet/" + unique("restart");
  const std::string topic = root + "/cmd/lamp";
  Device durable(rmq.amqp_url(), topic, unique("restart-durable"));  // survives with the broker
  Device fresh(rmq.amqp_url(), topic);  // exclusive queue: declared again after reconnecting
  Device publisher(rmq.amqp_url(), root + "/unused");
  for (auto* d : {&durable, &fresh, &publisher}) REQUIRE(d->bus->wait_connected(10s));
  publisher.bus->publish({topic, "before", false, {}}, Qos::at_least_once,
                         publisher.events.on_done());
  REQUIRE(eventually([&] { return durable.has_all({"before"}) && fresh.has_all({"before"}); }));

  // Publish all through the outage: buffered while down, sent again if unconfirmed at the drop.
  auto restart = std::async(std::launch::async, [&] { rmq.server().restart(); });
  std::vector<std::string> during;
  while (restart.wait_for(10ms) != std::future_status::ready) {
    during.push_back("during-" + std::to_string(during.size()));
    publisher.bus->publish({topic, during.back(), false, {}}, Qos::at_least_once,
                           publisher.events.on_done());
  }
  restart.get();
  MESSAGE("restart took ", rmq.server().start_duration().count(), " ms; published ", during.size(),
          " messages meanwhile");

  for (auto* d : {&durable, &fresh, &publisher}) {
    CHECK(
        d->events.wait([&] { return d->events.downs_locked() >= 1 && d->bus->connected(); }, 30s));
  }
  std::vector<std::string> after;
  for (int i = 0; i < 20; ++i) {
    after.push_back("after-" + std::to_string(i));
    publisher.bus->publish({topic, after.back(), false, {}}, Qos::at_least_once,
                           publisher.events.on_done());
  }
  const int total = 1 + static_cast<int>(during.size() + after.size());
  CHECK(publisher.events.wait([&] { return publisher.events.acked_locked() == total; }, 30s));
  CHECK(publisher.events.failed() == 0);
  CHECK(eventually([&] { return durable.has_all(during) && durable.has_all(after); }, 30s));
  CHECK(eventually([&] { return fresh.has_all(after); }, 30s));
}

TEST_CASE("a broker that stops answering is detected by missed heartbeats, and the bus recovers") {
  auto& rmq = shared_rabbitmq();
  const std::string topic = "snet/" + unique("frozen") + "/cmd/lamp";
  Device device(rmq.amqp_url(), topic, "", std::chrono::seconds(2));
  REQUIRE(device.bus->wait_connected(10s));
  {
    Thaw thaw{rmq.server().process().pid()};
    REQUIRE(::kill(-thaw.group, SIGSTOP) == 0);  // the node's script and Erlang VM
    // No close frame, no reset: only the missing heartbeats (2 x 2 s) can reveal it.
    CHECK(device.events.wait([&] { return device.events.downs_locked() == 1; }, 10s));
  }
  CHECK(device.events.wait([&] { return device.events.ups_locked() == 2; }, 30s));
  Device publisher(rmq.amqp_url(), topic + "/unused");
  REQUIRE(publisher.bus->wait_connected(10s));
  publisher.bus->publish({topic, "thawed", false, {}}, Qos::at_least_once);
  CHECK(eventually([&] { return device.has_all({"thawed"}); }));
}

TEST_CASE("malformed, odd and poisonous messages do not break the AMQP bus") {
  auto& rmq = shared_rabbitmq();
  const std::string t = unique("odd");
  const std::string key = "snet." + t + ".cmd.";
  BusOptions opt;
  opt.url = rmq.amqp_url();
  BusEvents events;
  std::mutex mutex;
  std::map<std::string, Message> got;  // by topic
  std::atomic<int> poison_calls{0};
  auto bus = make_bus(opt);  // after what its handlers use: goes first
  events.watch(*bus);
  bus->on_message([&](const Message& m) {
    if (m.payload == "poison") {
      ++poison_calls;
      throw std::runtime_error("handler refuses this one");
    }
    std::lock_guard lock(mutex);
    got[m.topic] = m;
  });
  bus->subscribe("snet/" + t + "/#/bad", Qos::at_least_once);  // invalid filter: refused, logged
  bus->subscribe("snet/" + t + "/cmd/+", Qos::at_least_once);
  bus->start();
  REQUIRE(bus->wait_connected(10s));

  RawAmqp raw(rmq.amqp_port());
  // Header values of every shape AMQP allows; our Message keeps the scalar ones as text.
  amqp_table_entry_t inner[1] = {};
  inner[0].key = amqp_cstring_bytes("deep");
  inner[0].value.kind = AMQP_FIELD_KIND_UTF8;
  inner[0].value.value.bytes = amqp_cstring_bytes("x");
  amqp_field_value_t items[1] = {};
  items[0].kind = AMQP_FIELD_KIND_I32;
  items[0].value.i32 = 7;
  amqp_table_entry_t headers[6] = {};
  headers[0].key = amqp_cstring_bytes("count");
  headers[0].value.kind = AMQP_FIELD_KIND_I64;
  headers[0].value.value.i64 = -42;
  headers[1].key = amqp_cstring_bytes("on");
  headers[1].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  headers[1].value.value.boolean = 1;
  headers[2].key = amqp_cstring_bytes("nested");
  headers[2].value.kind = AMQP_FIELD_KIND_TABLE;
  headers[2].value.value.table = amqp_table_t{1, inner};
  headers[3].key = amqp_cstring_bytes("list");
  headers[3].value.kind = AMQP_FIELD_KIND_ARRAY;
  headers[3].value.value.array = amqp_array_t{1, items};
  headers[4].key = amqp_cstring_bytes("ratio");
  headers[4].value.kind = AMQP_FIELD_KIND_F64;
  headers[4].value.value.f64 = 0.5;
  headers[5].key = amqp_cstring_bytes("raw");
  headers[5].value.kind = AMQP_FIELD_KIND_BYTES;
  headers[5].value.value.bytes = amqp_cstring_bytes("b\xff");
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_HEADERS_FLAG;
  props.headers = amqp_table_t{6, headers};
  raw.publish(key + "odd", "{not json", &props);
  raw.publish(key + "empty", "");
  raw.publish(key + "large", std::string(512 * 1024, '\xff'));
  raw.publish(key + "poison", "poison");
  raw.publish(key + "nobody.listens.here", "unroutable");
  raw.publish(key + "last", "last");

  const auto received = [&](const std::string& device) {
    std::lock_guard lock(mutex);
    return got.count("snet/" + t + "/cmd/" + device) == 1;
  };
  REQUIRE(eventually([&] { return received("last"); }));
  std::lock_guard lock(mutex);
  const Message& odd = got["snet/" + t + "/cmd/odd"];
  CHECK(odd.payload == "{not json");
  CHECK(odd.headers.at("count") == "-42");
  CHECK(odd.headers.at("on") == "true");
  CHECK(odd.headers.at("raw") == "b\xff");
  CHECK(odd.headers.count("ratio") == 1);
  CHECK(odd.headers.count("nested") == 0);
  CHECK(odd.headers.count("list") == 0);
  CHECK(got.count("snet/" + t + "/cmd/empty") == 1);
  CHECK(got["snet/" + t + "/cmd/empty"].payload.empty());
  CHECK(got["snet/" + t + "/cmd/large"].payload.size() == 512 * 1024);
  CHECK(poison_calls == 1);  // dropped, not redelivered in a loop
  CHECK(events.downs() == 0);
  CHECK(bus->connected());
}

TEST_CASE(
    "refused logins keep the bus retrying without connecting, and stop reports what was queued") {
  auto& rmq = shared_rabbitmq();
  const std::string at = "@127.0.0.1:" + std::to_string(rmq.amqp_port());
  for (const std::string& url :
       {"amqp://snet:wrong" + at + "/snet", "amqp://snet:snet" + at + "/nope"}) {
    CAPTURE(url);
    BusOptions opt;
    opt.url = url;
    auto bus = make_bus(opt);
    BusEvents events;
    bus->publish({"snet/refused/cmd/a", "x", false, {}}, Qos::at_least_once, events.on_done());
    bus->start();
    CHECK_FALSE(bus->wait_connected(1500ms));
    bus->stop();
    CHECK(events.failed() == 1);
    CHECK(events.errors().at(0).find("stopped") != std::string::npos);
  }
}

// A URL naming several nodes (a cluster's): a node that does not answer is passed over for the
// next, in either order, and QoS 1 messages go through the one that does.
TEST_CASE("a bus given several nodes connects through the one that answers, in either order") {
  auto& rmq = shared_rabbitmq();
  const std::string live = rmq.amqp_url();
  const auto authority = live.find('@') + 1;
  const auto path = live.find('/', authority);
  const std::string live_host = live.substr(authority, path - authority);
  const std::string dead_host = "127.0.0.1:" + std::to_string(snet::free_port());  // nobody listens
  const std::string root = "snet/" + unique("nodes");
  for (const auto& hosts : {dead_host + "," + live_host, live_host + "," + dead_host}) {
    CAPTURE(hosts);
    const std::string url = live.substr(0, authority) + hosts + live.substr(path);
    Device listener(url, root + "/cmd/+", unique("nodes-listener"));
    Device publisher(url, root + "/unused", unique("nodes-publisher"));
    REQUIRE(listener.bus->wait_connected(10s));
    REQUIRE(publisher.bus->wait_connected(10s));
    publisher.bus->publish({root + "/cmd/lamp", hosts, false, {}}, Qos::at_least_once,
                           publisher.events.on_done());
    CHECK(publisher.events.wait([&] { return publisher.events.acked_locked() == 1; }, 10s));
    CHECK(eventually([&] { return listener.has_all({hosts}); }));
  }
}
