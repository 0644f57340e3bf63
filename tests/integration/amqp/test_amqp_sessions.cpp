// Sessions on the AMQP bus against a real RabbitMQ node: manual acknowledgement (Message::ack),
// shared subscriptions (competing consumers on a group's durable queue), persistent sessions
// (a durable queue that keeps messages while its client is away), and a kill -9 of the broker
// that must not lose a confirmed persistent message.
#include <doctest/doctest.h>

#include <csignal>
#include <deque>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "amqp_test_support.hpp"
#include "harness.hpp"
#include "snet/metrics.hpp"

using namespace snet;
using namespace snet::test;

namespace {

using Clock = std::chrono::steady_clock;

struct ConsumerOptions {
  std::string client_id;  // empty: generated (a temporary queue)
  bool persistent_session = false;
  bool manual_ack = false;
  Metrics* metrics = nullptr;
};

// A bus that records every delivery (payload -> times received) and, with manual_ack, either
// acknowledges each at once or holds it (its Message kept, ack not called) as told.
class Consumer {
 public:
  Consumer(const std::string& url, const ConsumerOptions& o) {
    BusOptions opt;
    opt.url = url;
    opt.client_id = o.client_id;
    opt.persistent_session = o.persistent_session;
    opt.manual_ack = o.manual_ack;
    opt.metrics = o.metrics;
    bus = make_bus(opt);
    events.watch(*bus);
    bus->on_message([this](const Message& m) {
      {
        std::lock_guard lock(mutex_);
        ++received_[m.payload];
        if (hold_) {
          held_.push_back(m);
        } else if (m.ack) {
          m.ack();
          ++acked_[m.payload];
        }
      }
      cv_.notify_all();
    });
  }
  // The bus goes first: its handlers and connection events use the members below.
  ~Consumer() { bus->stop(); }
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  void start() {
    bus->start();
    REQUIRE(bus->wait_connected(10s));
  }
  void hold(bool on) {
    std::lock_guard lock(mutex_);
    hold_ = on;
  }
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, pred);
  }
  // For predicates passed to wait() (the lock is held there) and after the bus stopped.
  int received_locked(const std::string& payload) const {
    const auto it = received_.find(payload);
    return it == received_.end() ? 0 : it->second;
  }
  bool has_all_locked(const std::vector<std::string>& payloads) const {
    return std::all_of(payloads.begin(), payloads.end(),
                       [&](const std::string& p) { return received_.count(p) != 0; });
  }
  int received(const std::string& payload) {
    std::lock_guard lock(mutex_);
    return received_locked(payload);
  }
  std::map<std::string, int> received_all() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::map<std::string, int> acked_all() {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  std::vector<Message> held() {
    std::lock_guard lock(mutex_);
    return held_;
  }

  std::unique_ptr<Bus> bus;
  BusEvents events;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, int> received_, acked_;
  std::vector<Message> held_;
  bool hold_ = false;
};

std::unique_ptr<Bus> started_publisher(const std::string& url, BusEvents& events) {
  BusOptions opt;
  opt.url = url;
  auto bus = make_bus(opt);
  events.watch(*bus);
  bus->start();
  REQUIRE(bus->wait_connected(10s));
  return bus;
}

std::vector<std::string> numbered(const std::string& prefix, int from, int count) {
  std::vector<std::string> out;
  for (int i = from; i < from + count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

void publish_all(Bus& bus, BusEvents& events, const std::string& topic,
                 const std::vector<std::string>& payloads) {
  for (const auto& p : payloads) {
    bus.publish({topic, p, false, {}}, Qos::at_least_once, events.on_done());
  }
}

// {messages ready, messages unacknowledged} of `queue` in vhost snet, as rabbitmqctl sees them.
std::pair<int, int> queue_counts(RabbitMqServer& server, const std::string& queue) {
  const auto listed =
      server.rabbitmqctl({"list_queues", "-p", "snet", "--silent", "--no-table-headers", "name",
                          "messages_ready", "messages_unacknowledged"});
  std::istringstream lines(listed.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string name;
    int ready = -1, unacked = -1;
    if (fields >> name >> ready >> unacked && name == queue) return {ready, unacked};
  }
  return {-1, -1};
}

std::int64_t metric(const Metrics& metrics, const std::string& series) {
  const auto snapshot = metrics.snapshot();
  return snapshot.contains(series) ? snapshot.at(series).get<std::int64_t>() : 0;
}

}  // namespace

TEST_CASE("manual ack: an unacknowledged message comes back after a reconnect, an acked one not") {
  auto& rmq = shared_rabbitmq();
  const std::string topic = "snet/" + unique("ack") + "/cmd/lamp";
  const std::string id = unique("ack-consumer");
  const std::string queue = "snet-bus-" + id;
  Metrics metrics;
  auto consumer =
      std::make_unique<Consumer>(rmq.amqp_url(), ConsumerOptions{id, true, true, &metrics});
  consumer->bus->subscribe(topic, Qos::at_least_once);
  consumer->hold(true);
  consumer->start();
  BusEvents pub_events;
  auto publisher = started_publisher(rmq.amqp_url(), pub_events);
  publish_all(*publisher, pub_events, topic, {"acked", "unacked"});
  REQUIRE(consumer->wait([&] {
    return consumer->received_locked("acked") == 1 && consumer->received_locked("unacked") == 1;
  }));
  const std::vector<Message> first = consumer->held();
  REQUIRE(first.size() == 2);
  REQUIRE(first[0].payload == "acked");
  REQUIRE(first[0].ack);
  std::thread([&] { first[0].ack(); }).join();  // from another thread, as a relayer would
  // The ack is asynchronous (the network thread sends it): wait until the broker has it.
  CHECK(eventually([&] { return queue_counts(rmq.server(), queue) == std::pair{0, 1}; }, 20s));

  // The broker drops every connection; our bus reconnects on its own.
  const auto closed =
      rmq.server().rabbitmqctl({"close_all_connections", "--global", "test: force reconnect"});
  REQUIRE(closed.exit_code == 0);
  REQUIRE(consumer->wait([&] { return consumer->received_locked("unacked") == 2; }));
  CHECK(consumer->received("acked") == 1);
  CHECK(consumer->events.downs() >= 1);
  CHECK(consumer->bus->connected());
  CHECK(metric(metrics, "snet_bus_connection_lost_total") >= 1);
  CHECK(metric(metrics, "snet_bus_reconnects_total") >= 1);

  // Acks of the first connection name deliveries of a channel that is gone; delivery tag 1 now
  // names the redelivered "unacked", which they must not acknowledge.
  first[0].ack();
  first[1].ack();
  consumer.reset();  // gone without acking: the durable queue keeps "unacked" for the next one
  Consumer next(rmq.amqp_url(), ConsumerOptions{id, true, true, nullptr});
  next.bus->subscribe(topic, Qos::at_least_once);
  next.start();
  REQUIRE(next.wait([&] { return next.received_locked("unacked") == 1; }));
  CHECK(next.received("acked") == 0);
  CHECK(eventually([&] { return queue_counts(rmq.server(), queue) == std::pair{0, 0}; }, 20s));
  MESSAGE("unacked delivered 3 times (2 connections, then a new bus), acked once");
}

TEST_CASE(
    "shared subscription: each message goes to one member and a dead member's go to another") {
  auto& rmq = shared_rabbitmq();
  const std::string t = unique("shared");
  const std::string group = unique("relayers");
  const std::string filter = "snet/" + t + "/press/+";
  const std::string topic = "snet/" + t + "/press/button";
  Metrics metrics;
  Consumer a(rmq.amqp_url(), ConsumerOptions{unique("member-a"), false, true, &metrics});
  Consumer b(rmq.amqp_url(), ConsumerOptions{unique("member-b"), false, true, nullptr});
  for (Consumer* member : {&a, &b}) {
    member->bus->subscribe_shared(group, filter, Qos::at_least_once);
    member->start();
  }
  BusEvents pub_events;
  auto publisher = started_publisher(rmq.amqp_url(), pub_events);

  const auto first = numbered("p", 0, 1000);
  publish_all(*publisher, pub_events, topic, first);
  const auto total_received = [&](const std::vector<std::string>& payloads) {
    const auto got_a = a.received_all(), got_b = b.received_all();
    int covered = 0;
    for (const auto& p : payloads) covered += (got_a.count(p) + got_b.count(p)) > 0 ? 1 : 0;
    return covered;
  };
  REQUIRE(eventually([&] { return total_received(first) == 1000; }, 30s));
  const auto got_a = a.received_all(), got_b = b.received_all();
  int to_a = 0, to_b = 0, to_both = 0;
  for (const auto& p : first) {
    to_a += got_a.count(p) != 0 ? 1 : 0;
    to_b += got_b.count(p) != 0 ? 1 : 0;
    to_both += (got_a.count(p) != 0 && got_b.count(p) != 0) ? 1 : 0;
  }
  MESSAGE("1000 messages: ", to_a, " to member a, ", to_b, " to member b, ", to_both, " to both");
  CHECK(to_both == 0);
  CHECK(to_a + to_b == 1000);
  CHECK(to_a > 0);
  CHECK(to_b > 0);

  // Member a takes messages but never acknowledges them, then stops: the broker hands them to b.
  a.hold(true);
  const auto second = numbered("q", 0, 200);
  publish_all(*publisher, pub_events, topic, second);
  REQUIRE(eventually([&] { return total_received(second) == 200; }, 30s));
  const auto held = a.held();
  MESSAGE("of 200 more, member a holds ", held.size(), " unacknowledged when it stops");
  CHECK(!held.empty());
  a.bus->stop();
  REQUIRE(b.wait([&] { return b.has_all_locked(second); }, 30s));
  for (const auto& m : held) CHECK(b.received(m.payload) == 1);
  // Exactly one acknowledgement per message overall: nothing lost, nothing acked twice.
  const auto acked_a = a.acked_all(), acked_b = b.acked_all();
  int acked_once = 0;
  for (const auto& p : first) acked_once += (acked_a.count(p) + acked_b.count(p)) == 1 ? 1 : 0;
  for (const auto& p : second) acked_once += (acked_a.count(p) + acked_b.count(p)) == 1 ? 1 : 0;
  CHECK(acked_once == 1200);
  CHECK(eventually(
      [&] {
        return queue_counts(rmq.server(), "snet-group-" + group) == std::pair{0, 0};
      },
      20s));

  // A group joined while connected: its queue is declared, bound and consumed at once.
  const std::string late_topic = "snet/" + t + "/late/button";
  b.bus->subscribe_shared(unique("late"), late_topic, Qos::at_least_once);
  int pings = 0;
  CHECK(eventually([&] {  // until the binding exists (nothing to await): ping, look
    publisher->publish({late_topic, "ping", false, {}}, Qos::at_least_once);
    ++pings;
    return b.received("ping") > 0;
  }));
  MESSAGE("a group joined while connected received after ", pings, " ping(s)");
}

TEST_CASE("persistent session: messages published while the consumer is away await it") {
  auto& rmq = shared_rabbitmq();
  const std::string topic = "snet/" + unique("away") + "/cmd/lamp";
  const std::string id = unique("away-actuator");
  {
    Consumer before(rmq.amqp_url(), ConsumerOptions{id, true, false, nullptr});
    before.bus->subscribe(topic, Qos::at_least_once);
    before.start();
  }  // gone (clean stop): its queue stays
  BusEvents pub_events;
  auto publisher = started_publisher(rmq.amqp_url(), pub_events);
  const auto commands = numbered("cmd-", 0, 100);
  publish_all(*publisher, pub_events, topic, commands);
  REQUIRE(pub_events.wait([&] { return pub_events.acked_locked() == 100; }, 20s));
  CHECK(pub_events.failed() == 0);

  Consumer back(rmq.amqp_url(), ConsumerOptions{id, true, false, nullptr});
  back.bus->subscribe(topic, Qos::at_least_once);
  back.start();
  CHECK(back.wait([&] { return back.has_all_locked(commands); }));
  MESSAGE("published while away: 100, delivered when back: ", back.received_all().size());
}

TEST_CASE("manual acks deferred by ~1 ms from another thread do not stall the consumer") {
  auto& rmq = shared_rabbitmq();
  const std::string topic = "snet/" + unique("deferred") + "/press/button";
  BusOptions opt;
  opt.url = rmq.amqp_url();
  opt.manual_ack = true;
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::pair<Clock::time_point, Message>> to_ack;
  std::atomic<int> received{0}, acked{0};
  bool done = false;
  auto consumer = make_bus(opt);  // after what its handler uses: goes first
  consumer->on_message([&](const Message& m) {
    ++received;
    std::lock_guard lock(mutex);
    to_ack.emplace_back(Clock::now() + 1ms, m);
    cv.notify_all();
  });
  consumer->subscribe(topic, Qos::at_least_once);
  consumer->start();
  REQUIRE(consumer->wait_connected(10s));
  std::thread acker([&] {
    std::unique_lock lock(mutex);
    while (!done) {
      if (to_ack.empty()) {
        cv.wait(lock);
        continue;
      }
      const auto due = to_ack.front().first;
      if (Clock::now() < due) {
        cv.wait_until(lock, due);
        continue;
      }
      const Message m = std::move(to_ack.front().second);
      to_ack.pop_front();
      lock.unlock();
      m.ack();
      ++acked;
      lock.lock();
    }
  });
  struct Join {
    std::thread& thread;
    std::mutex& mutex;
    std::condition_variable& cv;
    bool& done;
    ~Join() {
      {
        std::lock_guard lock(mutex);
        done = true;
      }
      cv.notify_all();
      thread.join();
    }
  } join{acker, mutex, cv, done};

  BusEvents pub_events;
  auto publisher = started_publisher(rmq.amqp_url(), pub_events);
  constexpr int kCount = 10'000;
  const auto start = Clock::now();
  for (int i = 0; i < kCount; ++i) {
    publisher->publish({topic, std::to_string(i), false, {}}, Qos::at_least_once);
  }
  REQUIRE(eventually([&] { return acked.load() == kCount; }, 60s));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  MESSAGE(kCount, " messages received and acked ~1 ms later from another thread in ", seconds,
          " s: ", static_cast<int>(kCount / seconds), " msg/s");
  CHECK(received.load() == kCount);
}

TEST_CASE("kill -9 of RabbitMQ loses no confirmed persistent message in durable queues") {
  auto& rmq = shared_rabbitmq();
  const std::string topic = "snet/" + unique("crash") + "/press/button";
  const std::string id = unique("crash-actuator");
  const std::string group = unique("crash-relayers");
  const ConsumerOptions own{id, true, true, nullptr};
  const ConsumerOptions member{unique("crash-member"), false, true, nullptr};
  {
    // Declare the queues, then go away: the messages wait in them, on disk.
    Consumer a(rmq.amqp_url(), own);
    a.bus->subscribe(topic, Qos::at_least_once);
    a.start();
    Consumer b(rmq.amqp_url(), member);
    b.bus->subscribe_shared(group, topic, Qos::at_least_once);
    b.start();
  }
  BusEvents pub_events;
  auto publisher = started_publisher(rmq.amqp_url(), pub_events);
  const auto before = numbered("before-", 0, 300);
  publish_all(*publisher, pub_events, topic, before);
  REQUIRE(pub_events.wait([&] { return pub_events.acked_locked() == 300; }, 20s));

  auto& node = rmq.server().process();
  REQUIRE(::kill(-node.pid(), SIGKILL) == 0);  // the script and the Erlang VM: no clean shutdown
  REQUIRE(node.wait_for(10s));
  REQUIRE(pub_events.wait([&] { return pub_events.downs_locked() >= 1; }, 20s));
  const auto during = numbered("during-", 0, 200);  // buffered by the bus while the node is down
  publish_all(*publisher, pub_events, topic, during);
  rmq.server().restart();
  MESSAGE("restart after kill -9 took ", rmq.server().start_duration().count(), " ms");
  REQUIRE(pub_events.wait([&] { return pub_events.acked_locked() == 500; }, 60s));
  CHECK(pub_events.failed() == 0);

  Consumer a(rmq.amqp_url(), own);
  a.bus->subscribe(topic, Qos::at_least_once);
  a.start();
  Consumer b(rmq.amqp_url(), member);
  b.bus->subscribe_shared(group, topic, Qos::at_least_once);
  b.start();
  std::vector<std::string> all = before;
  all.insert(all.end(), during.begin(), during.end());
  CHECK(a.wait([&] { return a.has_all_locked(all); }, 30s));
  CHECK(b.wait([&] { return b.has_all_locked(all); }, 30s));
  const auto lost = [](Consumer& c, const std::vector<std::string>& sent) {
    const auto got = c.received_all();
    return std::count_if(sent.begin(), sent.end(),
                         [&](const auto& p) { return got.count(p) == 0; });
  };
  MESSAGE(
      "confirmed 500 (300 before the kill, 200 during the outage); lost from the client's "
      "durable queue: ",
      lost(a, before), " before + ", lost(a, during),
      " during, from the group queue: ", lost(b, before), " before + ", lost(b, during), " during");
  if (lost(a, all) + lost(b, all) > 0) {
    // What the broker says it holds, and how it recovered: to tell its loss from ours.
    const auto queues = rmq.server().rabbitmqctl(
        {"list_queues", "-p", "snet", "name", "messages", "consumers", "state", "durable"});
    const std::string log = rmq.server().log();
    MESSAGE("queues now:\n", queues.output, "\nthe node's log since the restart:\n",
            log.substr(log.size() > 20'000 ? log.size() - 20'000 : 0));
  }
}

TEST_CASE(
    "a deleted queue, a message sent straight into a queue, a failing handler and a full "
    "buffer are logged and counted, and the bus carries on") {
  auto& rmq = shared_rabbitmq();
  const std::string t = unique("visible");
  const std::string topic = "snet/" + t + "/cmd/lamp";
  const std::string id = unique("visible-actuator");
  Metrics metrics;
  BusOptions opt;
  opt.url = rmq.amqp_url();
  opt.client_id = id;
  opt.persistent_session = true;
  opt.metrics = &metrics;
  std::mutex mutex;
  std::set<std::string> got;
  auto bus = make_bus(opt);  // after what its handler uses: goes first
  bus->on_message([&](const Message& m) {
    if (m.payload == "poison") throw std::runtime_error("handler refuses this one");
    std::lock_guard lock(mutex);
    got.insert(m.payload);
  });
  bus->subscribe(topic, Qos::at_least_once);
  bus->start();
  REQUIRE(bus->wait_connected(10s));
  const auto received = [&](const std::string& payload) {
    std::lock_guard lock(mutex);
    return got.count(payload) == 1;
  };
  const auto dropped = [&](const std::string& reason) {
    return metric(metrics, "snet_bus_messages_dropped_total{reason=\"" + reason + "\"}");
  };

  {
    RawAmqp raw(rmq.amqp_port());
    raw.publish_to("", "snet-bus-" + id, "straight into the queue");
    raw.publish("snet." + t + ".cmd.lamp", "poison");
    raw.publish("snet." + t + ".cmd.lamp", "fine");
  }
  REQUIRE(eventually([&] { return received("fine"); }));
  CHECK(dropped("not_a_topic") == 1);
  CHECK(dropped("handler_failed") == 1);
  CHECK_FALSE(received("straight into the queue"));

  // The broker cancels our consumer when the queue goes: the bus declares it again and goes on.
  const auto deleted = rmq.server().rabbitmqctl({"delete_queue", "-p", "snet", "snet-bus-" + id});
  REQUIRE(deleted.exit_code == 0);
  CHECK(eventually([&] { return metric(metrics, "snet_bus_consumer_cancelled_total") == 1; }));
  CHECK(eventually([&] { return metric(metrics, "snet_bus_reconnects_total") == 1; }));
  BusEvents pub_events;
  auto publisher = started_publisher(rmq.amqp_url(), pub_events);
  publisher->publish({topic, "after", false, {}}, Qos::at_least_once);
  CHECK(eventually([&] { return received("after"); }));

  // A bus that cannot take more (never started: nothing leaves) refuses and counts.
  BusOptions small;
  small.url = rmq.amqp_url();
  small.max_buffered = 1;
  small.metrics = &metrics;
  BusEvents full_events;  // outlives the bus, which reports "kept" failed when it goes
  auto full = make_bus(small);
  full->publish({topic, "kept", false, {}}, Qos::at_least_once, full_events.on_done());
  full->publish({topic, "refused", false, {}}, Qos::at_least_once, full_events.on_done());
  CHECK(full_events.failed() == 1);
  CHECK(dropped("buffer_full") == 1);
  MESSAGE("counters: ", metrics.prometheus());
}
