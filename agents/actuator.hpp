// An emulated actuator (a lamp, a relay). It applies commands from snet/<topology>/cmd/<id> and
// from the routes it belongs to (snet/routing.hpp: pattern, group and match subscriptions made
// for it; the broker decides which commands reach it, the actuator never second-guesses that)
// idempotently: a command carries the desired state and its press id, and a press id already
// applied is ignored. After applying, it reports its state retained (QoS 1) on
// snet/<topology>/state/<id>, so the state outlives the agent: at start-up the actuator restores
// itself from that retained report, or publishes an initial "off" report when there is none.
//
// Knowing that no retained report exists needs no timeout: after subscribing, the device
// publishes a marker to its own snet/<topology>/sync/<id>; the broker delivers retained messages
// right after the subscription, so when the marker arrives every retained report has too.
// Commands that arrive before that are held and applied afterwards. Restored, it unsubscribes
// from both (MQTT devices; see Bus::unsubscribe), so its own reports do not come back to it.
// Thread safety: see EmulatedDevice; on() and restored() may be called from any thread.
#pragma once

#include <mutex>
#include <vector>

#include "emulated_device.hpp"
#include "snet/message.hpp"
#include "snet/recent_ids.hpp"
#include "snet/routing.hpp"

namespace snet::agents {

class ActuatorDevice : public EmulatedDevice {
 public:
  /// `subscriptions`: routing::ActuatorSubscriptions::of() this actuator (its cmd topic first).
  /// `capability`: the capability it switches, named in its state reports ("heater" for a
  /// thermostat: CompositeDevice); empty for a plain actuator. A command naming any other
  /// capability is refused (unknown_capability), the state untouched.
  ActuatorDevice(const DeviceContext& context, std::string id,
                 const std::vector<routing::Subscription>& subscriptions,
                 std::size_t dedupe_capacity, std::string capability = "");
  ~ActuatorDevice() override;

  bool on() const;
  bool restored() const;

 protected:
  /// Why a command naming `capability` is refused ("" when it may be applied).
  virtual std::string capability_problem(const std::string& capability) const;

 private:
  void on_connected() override;
  void on_message(const Message& message);
  void on_command(const Message& message);
  void on_retained_state(const Message& message);
  void finish_restore();
  void apply(const Command& command);  // mutex_ held
  void report();                       // mutex_ held

  const std::string capability_;
  mutable std::mutex mutex_;
  bool restored_ = false;
  bool found_report_ = false;
  StateReport state_;
  std::vector<Command> held_;  // commands that came before the restore finished
  RecentIds applied_;
};

}  // namespace snet::agents
