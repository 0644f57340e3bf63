#include "stale_sessions.hpp"

#include <sys/stat.h>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "snet/atomic_file.hpp"
#include "snet/bus.hpp"
#include "snet/bus_loop.hpp"
#include "snet/log.hpp"
#include "snet/message.hpp"
#include "snet/metrics.hpp"
#include "snet/net.hpp"
#include "snet/topics.hpp"

namespace snet::cli {
namespace {
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A press republished to its shared subscription comes back to the draining session (a member
// still) with odds 1/members each time; this many returns means the session takes it unshared.
constexpr int kMaxReturns = 16;

// What the handler (on the bus's thread) and the republishes' confirmations share with the
// caller; shared, since a confirmation may come after the caller gave up.
struct Drain {
  std::mutex mutex;
  std::condition_variable changed;
  std::string marker_topic;
  std::string awaited_marker;  // payload of the marker of the current round
  bool marker_seen = false;
  int received = 0;  // messages republished this round
  int pending = 0;   // republishes not yet confirmed
  int handed = 0;    // republishes confirmed (or, without republishing, messages dropped)
  // How often each press came back: a session that took the presses without a share group
  // would get each republished copy again, forever.
  std::map<std::string, int> returns;
  std::string failure;
};

BusOptions session_options(const std::string& broker_url, const std::string& client_id,
                           bool persistent) {
  BusOptions options;
  options.url = broker_url;
  options.client_id = client_id;
  options.persistent_session = persistent;
  options.manual_ack = persistent;  // a message is acknowledged once it is republished
  options.log_connection_changes = false;
  return options;
}

// Connects once with a clean session: the broker discards the session of that client id, its
// subscriptions and queue included.
void end_session(BusLoop& loop, const std::string& broker_url, const std::string& client_id,
                 Clock::time_point deadline) {
  auto bus = loop.make_bus(session_options(broker_url, client_id, false));
  bus->on_message([](const Message&) {});
  bus->start();
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  const bool connected = bus->wait_connected(std::max(left, milliseconds(1)));
  bus->stop();
  if (!connected) {
    throw std::runtime_error("could not connect with a clean session to end it");
  }
}

}  // namespace

std::string service_sessions_path(const std::string& data_dir) {
  return (fs::path(data_dir) / "mosquitto" / "service-sessions.json").string();
}

std::vector<ServiceSession> read_service_sessions(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (!fs::exists(path)) return {};
    throw std::runtime_error("cannot read " + path);
  }
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc.contains("sessions") || !doc["sessions"].is_array()) {
    throw std::runtime_error(path + " is not {\"sessions\": [...]}");
  }
  std::vector<ServiceSession> sessions;
  const auto& items = doc["sessions"];
  for (const auto& item : items) {
    if (!item.is_object() || !item.contains("client_id") || !item["client_id"].is_string()) {
      throw std::runtime_error(path + ": a session without a \"client_id\" string");
    }
    sessions.push_back({item["client_id"].get<std::string>(), item.value("kind", "")});
  }
  return sessions;
}

void write_service_sessions(const std::string& path, const std::vector<ServiceSession>& sessions) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& session : sessions) {
    items.push_back({{"client_id", session.client_id}, {"kind", session.kind}});
  }
  std::error_code error;
  fs::create_directories(fs::path(path).parent_path(), error);
  write_file_atomically(path, nlohmann::json{{"sessions", items}}.dump(2) + "\n");
}

int hand_over_session(const std::string& broker_url, const std::string& client_id, bool republish,
                      milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  BusLoop loop;  // outlives the buses below
  auto drain = std::make_shared<Drain>();
  // Our own marker topic: it matches none of the session's filters, so only our markers reach
  // it, and Mosquitto delivers a session's messages in order: once the marker is back, every
  // message queued before it has been delivered.
  drain->marker_topic = "snet-handover/" + client_id + "/" + new_press_id();
  {
    auto bus = loop.make_bus(session_options(broker_url, client_id, true));
    Bus* publisher = bus.get();
    bus->on_message([drain, publisher, republish](const Message& message) {
      std::unique_lock lock(drain->mutex);
      if (message.topic == drain->marker_topic) {
        if (message.payload == drain->awaited_marker) drain->marker_seen = true;
        lock.unlock();
        if (message.ack) message.ack();
        drain->changed.notify_all();
        return;
      }
      // Only presses are handed over: the session's other subscriptions (the relayer's state
      // reports, not shared) were delivered to every live subscriber too, and a copy would come
      // back to this session again and again.
      const auto parsed = topics::parse(message.topic);
      const bool press = parsed && parsed->kind == topics::Kind::press;
      const int times = press ? ++drain->returns[message.topic + '\n' + message.payload] : 0;
      if (!republish || !press || times > kMaxReturns) {
        if (!republish) ++drain->handed;  // dropped: counted all the same
        lock.unlock();
        if (message.ack) message.ack();
        return;
      }
      ++drain->received;
      ++drain->pending;
      lock.unlock();
      // Acknowledged only once the broker has the copy: a failure here loses nothing.
      Message copy;
      copy.topic = message.topic;
      copy.payload = message.payload;
      publisher->publish(
          std::move(copy), Qos::at_least_once,
          [drain, ack = message.ack, first = times == 1](bool ok, const std::string& error) {
            {
              std::lock_guard guard(drain->mutex);
              --drain->pending;
              if (ok) {
                if (first) ++drain->handed;  // a press, not its returns
              } else if (drain->failure.empty()) {
                drain->failure = "republishing failed: " + error;
              }
            }
            if (ok && ack) ack();
            drain->changed.notify_all();
          });
    });
    bus->subscribe(drain->marker_topic, Qos::at_least_once);
    bus->start();
    if (!bus->wait_connected(std::max(
            std::chrono::duration_cast<milliseconds>(deadline - Clock::now()), milliseconds(1)))) {
      bus->stop();
      throw std::runtime_error("could not connect to " + redacted_url(broker_url) + " as " +
                               client_id);
    }
    // The session stays a member of its shared subscriptions while we drain it, so a republished
    // message may come back to it (after a marker, even). Rounds: a round is done when its marker
    // is back and every republish is confirmed (Mosquitto routes a message before it confirms
    // it); the queue is empty after a round that received nothing.
    for (int round = 1;; ++round) {
      std::unique_lock lock(drain->mutex);
      drain->awaited_marker = std::to_string(round);
      drain->marker_seen = false;
      drain->received = 0;
      lock.unlock();
      Message marker;
      marker.topic = drain->marker_topic;
      marker.payload = std::to_string(round);
      bus->publish(std::move(marker), Qos::at_least_once);
      lock.lock();
      const bool done = drain->changed.wait_until(lock, deadline, [&] {
        return !drain->failure.empty() || (drain->marker_seen && drain->pending == 0);
      });
      if (!drain->failure.empty() || !done) {
        const std::string why = !drain->failure.empty()
                                    ? drain->failure
                                    : "its queue was not drained within " +
                                          std::to_string(timeout.count()) + " ms (" +
                                          std::to_string(drain->handed) + " handed so far)";
        lock.unlock();
        bus->stop();
        throw std::runtime_error(why);
      }
      if (drain->received == 0) break;
    }
    bus->stop();
  }
  end_session(loop, broker_url, client_id, deadline);
  std::lock_guard guard(drain->mutex);
  return drain->handed;
}

void hand_over_stale_sessions(const std::string& broker_url, const std::string& data_dir,
                              const std::vector<ServiceSession>& current, Metrics& metrics,
                              milliseconds timeout_each) {
  const std::string path = service_sessions_path(data_dir);
  std::vector<ServiceSession> previous;
  try {
    previous = read_service_sessions(path);
  } catch (const std::exception& e) {
    log::warn("stale sessions: ", e.what(), "; sessions of earlier runs are not handed over");
  }
  std::set<std::string> planned;
  for (const auto& session : current) planned.insert(session.client_id);
  std::vector<ServiceSession> record = current;
  auto& handed_total = metrics.counter(
      "snet_up_stale_presses_handed_total",
      "Presses queued to persistent sessions of relayers no longer planned, handed to the "
      "running relayers at start-up");
  for (const auto& session : previous) {
    if (planned.count(session.client_id) != 0) continue;
    const bool relayer = session.kind == "relayer";
    try {
      const int handed = hand_over_session(broker_url, session.client_id, relayer, timeout_each);
      if (relayer) {
        handed_total.add(handed);
        log::info("handed ", handed, " queued presses of stale relayer session ", session.client_id,
                  " to the running relayers");
      } else {
        log::info("ended the stale ", session.kind, " session ", session.client_id, " (", handed,
                  " queued messages dropped)");
      }
    } catch (const std::exception& e) {
      log::warn("could not hand over the stale ", session.kind, " session ", session.client_id,
                ": ", e.what(), "; it stays recorded in ", path, " to try again next start");
      record.push_back(session);
    }
  }
  try {
    write_service_sessions(path, record);
  } catch (const std::exception& e) {
    log::warn("stale sessions: ", e.what(), " (the next start cannot hand over these sessions)");
  }
}

}  // namespace snet::cli
