// The relayer: turns presses into commands. For each press on snet/<topology>/press/<button> it
// checks the press (press_intake.hpp), drops a press id it has already seen, asks the button's
// compute backend for the desired state of each of the button's routes (route_targets.hpp), and
// publishes ONE Command per route where snet/routing.hpp says: an actuator's cmd topic, a
// pattern topic, a group's fanout exchange or the headers exchange; the broker delivers it to
// every member. A failed press becomes a PressError on snet/<topology>/event/<button>, and so
// does a command the broker could not deliver (unroutable on AMQP: no member's queue bound).
// A rule (topology "rules") is a press made by a reading: the relayer follows its sensors'
// readings (rule_trigger.hpp says when it fires) and handles a firing as a press of a button whose
// id is the rule's, with the press id rule:<rule>:<device>:<seq>:<ts>, so that a redelivered
// reading cannot command twice; its compute also sees the reading (ComputeRequest::cause).
// Nothing here blocks: a backend answers through a callback, so any number of invocations may
// be in flight.
//
// Redundancy: several relayers share the presses (Bus::subscribe_shared, one group per
// topology, or per compute with RelayerOptions::compute), each acknowledging a press only when its
// commands are confirmed (press_settlement.hpp), so a relayer's death loses nothing: the broker
// hands what it held to its restarted self or another member. Each relayer follows every actuator's
// state reports; two relayers flipping the same actuator within one round trip may both read the
// same state (the actuator still applies each press id once).
//
// Lifetime: construct before bus.start() (it installs the bus's message handler) and stop the bus
// before destroying the relayer. Each backend must have finished or dropped its pending callbacks
// when it is destroyed (the relayer owns the backends and destroys them first).
// Thread safety: the message handler runs on the bus thread; compute callbacks on any thread.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "backends.hpp"
#include "delayed_calls.hpp"
#include "press_settlement.hpp"
#include "rule_trigger.hpp"
#include "snet/bus.hpp"
#include "snet/message.hpp"
#include "snet/metrics.hpp"
#include "snet/recent_ids.hpp"
#include "snet/topology.hpp"
#include "state_tracker.hpp"

namespace snet::relayer {

struct RelayerOptions {
  std::size_t dedupe_capacity = 100'000;  // press ids remembered for duplicate detection
  /// Competing-consumer group shared with the other relayers of the topology; empty: a plain
  /// subscription (every relayer sees every press, e.g. on RabbitMQ's MQTT plugin, which has
  /// no shared subscriptions).
  std::string share_group;
  /// Take only the presses of buttons that use this compute (a name of the topology's
  /// "computes", or "default" for those without "use"): one subscription per such button, in a
  /// share group of this compute's own, so another compute's relayers never take them and they
  /// wait at the broker while this compute's relayers are away. Empty: every press.
  std::string compute;
  /// Evaluate the topology's rules (those of `compute` when given): subscribe to their sensors'
  /// readings and fire them. `snet up` gives it to one relayer per compute only, since each
  /// relayer that evaluates a rule fires it.
  bool rules = true;
};

/// Why `compute` cannot be a relayer's --compute for `topology` (it names no compute of it), or
/// nullopt when it can ("" and "default" always can).
std::optional<std::string> compute_problem(const Topology& topology, const std::string& compute);

class Relayer {
 public:
  /// Declares the topology's exchanges on `bus` (fanout groups, headers).
  Relayer(Bus& bus, const Topology& topology, ComputeBackends backends, Metrics& metrics,
          RelayerOptions options = {});
  Relayer(const Relayer&) = delete;
  Relayer& operator=(const Relayer&) = delete;

  /// Handles one message from the bus (a press or an actuator's state report), and acknowledges
  /// it (Message::ack) when it is safe to: a press once its commands are confirmed.
  void handle(const Message& message);
  /// Invocations started but not answered yet.
  std::int64_t in_flight() const { return in_flight_.value(); }

 private:
  struct PressContext {
    std::string button;
    std::string action;
    std::string press_id;
    Micros press_ts = 0;
    const Device* device = nullptr;  // the button, in the topology
    std::shared_ptr<PressSettlement> settlement;
  };
  struct RuleWatch {
    const Rule* rule;
    RuleTrigger trigger;
    Counter* firings;
  };
  void subscribe_presses(const RelayerOptions& options);
  void subscribe_readings(const RelayerOptions& options);
  void on_press(const Message& message, const std::string& button);
  void on_reading(const Message& message, const std::string& device);
  /// A new press (or rule firing) with its settlement begun: asks its compute.
  void dispatch(PressContext press, std::optional<RuleCause> cause);
  void on_state(const Message& message, const std::string& actuator);
  void on_result(const PressContext& press, ComputeResult result);
  /// Publishes one command; a refusal by the broker (a nack: a cluster's queue between leaders)
  /// is tried again after a pause, up to kCommandAttempts in all, before the press fails.
  void send(const PressContext& press, const Route& route, const Command& command, int attempt = 1);
  void fail(const PressContext& press, const std::string& error);
  Counter& rejected(const std::string& reason);

  Bus& bus_;
  const Topology& topology_;
  Metrics& metrics_;
  Counter& presses_;
  Counter& duplicates_;
  Counter& commands_;
  Counter& unroutable_;
  Counter& publish_failures_;
  Counter& command_retries_;
  Counter& press_errors_;
  Gauge& in_flight_;
  Gauge& connected_;
  Counter& bad_readings_;
  std::map<std::string, std::vector<RuleWatch>> watches_;  // by sensor; bus thread only
  StateTracker states_;
  std::mutex dedupe_mutex_;
  RecentIds seen_presses_;
  PressLedger ledger_;
  DelayedCalls retries_;      // after backends_ is gone, before the rest: its calls use them
  ComputeBackends backends_;  // last: destroyed first, while what its callbacks use still lives
};

}  // namespace snet::relayer
