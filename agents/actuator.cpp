#include "actuator.hpp"

#include "snet/log.hpp"
#include "snet/routing.hpp"
#include "snet/topics.hpp"

namespace snet::agents {

ActuatorDevice::ActuatorDevice(const DeviceContext& context, std::string id,
                               const std::vector<routing::Subscription>& subscriptions,
                               std::size_t dedupe_capacity, std::string capability)
    : EmulatedDevice(context, std::move(id)),
      capability_(std::move(capability)),
      applied_(dedupe_capacity) {
  state_.device = this->id();
  state_.capability = capability_;
  bus().on_message([this](const Message& message) { on_message(message); });
  for (const auto& subscription : subscriptions) {
    routing::subscribe(bus(), subscription, Qos::at_least_once);
  }
  bus().subscribe(topics::make(topology(), topics::Kind::state, this->id()), Qos::at_least_once);
  bus().subscribe(topics::make(topology(), topics::Kind::sync, this->id()), Qos::at_least_once);
}

ActuatorDevice::~ActuatorDevice() {
  stop();
  if (restored()) metrics().restored.add(-1);
}

bool ActuatorDevice::on() const {
  std::lock_guard lock(mutex_);
  return state_.on;
}

bool ActuatorDevice::restored() const {
  std::lock_guard lock(mutex_);
  return restored_;
}

void ActuatorDevice::on_connected() {
  std::lock_guard lock(mutex_);
  if (!restored_) {
    bus().publish(Message{topics::make(topology(), topics::Kind::sync, id()), "", false, {}},
                  Qos::at_least_once);
  }
}

void ActuatorDevice::on_message(const Message& message) {
  if (routing::is_command_topic(topology(), message.topic)) return on_command(message);
  if (message.topic == topics::make(topology(), topics::Kind::sync, id())) return finish_restore();
  const auto topic = topics::parse(message.topic);
  if (topic && topic->kind == topics::Kind::state && topic->device == id()) {
    return on_retained_state(message);
  }
  // Only a binding made by hand (or a stale one) brings anything else here.
  reject(message, "unknown_topic", "not a command, state or sync topic of this actuator");
}

void ActuatorDevice::on_retained_state(const Message& message) {
  std::lock_guard lock(mutex_);
  // After the restore our own reports may echo back here (an AMQP device keeps the
  // subscription): we already know them.
  if (restored_ || !message.retained || message.payload.empty()) return;
  try {
    StateReport report = parse_state(message.payload);
    report.device = id();
    report.capability = capability_;
    if (!report.press_id.empty()) applied_.insert(report.press_id);
    state_ = std::move(report);
    found_report_ = true;
  } catch (const BadMessage& bad) {
    log::warn(id(), ": unreadable retained state on ", message.topic, " (", bad.what(),
              "); starting from off");
  }
}

void ActuatorDevice::finish_restore() {
  std::lock_guard lock(mutex_);
  if (restored_) return;
  restored_ = true;
  metrics().restored.add(1);
  if (!found_report_) {
    state_.applied_ts = now_us();
    report();
  }
  // Restored once for the process's life: our own reports need not come back to us (a third
  // of the broker's deliveries of every state change, beside the state service and relayer).
  bus().unsubscribe(topics::make(topology(), topics::Kind::state, id()));
  bus().unsubscribe(topics::make(topology(), topics::Kind::sync, id()));
  for (const auto& command : held_) apply(command);
  held_.clear();
  held_.shrink_to_fit();
}

void ActuatorDevice::on_command(const Message& message) {
  if (message.retained) {
    // A stale retained command would undo newer presses at every start.
    return reject(message, "retained", "retained command ignored");
  }
  Command command;
  try {
    command = parse_command(message.payload);
    if (command.press_id.empty()) throw BadMessage("missing_field", "field 'press_id' is empty");
  } catch (const BadMessage& bad) {
    return reject(message, bad.reason, bad.what());
  }
  if (!command.capability.empty()) {
    if (const auto problem = capability_problem(command.capability); !problem.empty()) {
      return reject(message, "unknown_capability", problem);
    }
  }
  std::lock_guard lock(mutex_);
  if (!restored_) {
    held_.push_back(std::move(command));
    return;
  }
  apply(command);
}

std::string ActuatorDevice::capability_problem(const std::string& capability) const {
  if (capability == capability_) return "";
  if (capability_.empty()) {
    return "capability '" + capability + "' is unknown: a plain actuator has no named capabilities";
  }
  return "capability '" + capability + "' is unknown: this device switches '" + capability_ + "'";
}

void ActuatorDevice::apply(const Command& command) {
  if (!applied_.insert(command.press_id)) {
    metrics().duplicates.add();
    log::debug(id(), ": press ", command.press_id, " already applied; ignored");
    return;
  }
  state_.on = command.on;
  state_.press_id = command.press_id;
  state_.button = command.button;
  state_.press_ts = command.press_ts;
  state_.relay_ts = command.relay_ts;
  state_.applied_ts = now_us();
  report();
  metrics().applied.add();
}

void ActuatorDevice::report() {
  bus().publish(
      Message{topics::make(topology(), topics::Kind::state, id()), to_json(state_), true, {}},
      Qos::at_least_once);
}

}  // namespace snet::agents
