#include "button.hpp"

#include "snet/log.hpp"
#include "snet/message.hpp"
#include "snet/refused_publish.hpp"
#include "snet/topics.hpp"

namespace snet::agents {
namespace {

// A press waiting for its next try: counted as lost unless that try is made. The button may stop
// first, or the agent's loop may go with the timer still pending (it then destroys the timer's
// handler, and this with it, without running it).
class PendingTry {
 public:
  explicit PendingTry(Counter& lost) : lost_(&lost) {}
  ~PendingTry() {
    if (lost_ != nullptr) lost_->add();
  }
  PendingTry(const PendingTry&) = delete;
  PendingTry& operator=(const PendingTry&) = delete;
  void made() { lost_ = nullptr; }

 private:
  Counter* lost_;  // the agent's metrics: they outlive its loop
};

}  // namespace

ButtonDevice::ButtonDevice(const DeviceContext& context, std::string id)
    : EmulatedDevice(context, std::move(id)),
      network_(context.network),
      press_topic_(topics::make(topology(), topics::Kind::press, this->id())),
      retries_(std::make_shared<Retries>()) {
  retries_->button = this;
  bus().on_message([this](const Message& message) { on_trigger(message); });
  bus().subscribe(topics::make(topology(), topics::Kind::trigger, this->id()), Qos::at_least_once);
}

ButtonDevice::~ButtonDevice() {
  {
    std::lock_guard lock(retries_->mutex);  // waits for a try being published right now
    retries_->button = nullptr;
    retries_->alive = false;
  }
  stop();
}

void ButtonDevice::on_trigger(const Message& message) {
  if (message.retained) {
    // A retained trigger would press the button again at every agent start.
    return reject(message, "retained", "retained trigger ignored (publish without -r)");
  }
  Press press;
  try {
    press = parse_press(message.payload);  // same shape as a press: optional id (and ts)
  } catch (const BadMessage& bad) {
    return reject(message, bad.reason, bad.what());
  }
  if (press.id.empty()) press.id = new_press_id();
  press.ts = now_us();
  send(to_json(press), 1);
  metrics().presses.add();
}

void ButtonDevice::send(const std::string& payload, int attempt) {
  // Runs on the bus's thread, which may hold the bus's locks: it takes none of ours, and leaves
  // the next try to a timer on the agent's loop.
  auto done = [retries = retries_, &network = network_, &metrics = metrics(), id = id(), payload,
               attempt](bool ok, const std::string& error) {
    if (ok) return;
    if (!retries->alive || !refused_publish::try_again(attempt, error)) {
      metrics.presses_lost.add();
      log::warn("button ", id, ": press not delivered after ", attempt, " tr",
                attempt == 1 ? "y" : "ies", ": ", error);
      return;
    }
    metrics.press_retries.add();
    auto pending = std::make_shared<PendingTry>(metrics.presses_lost);
    network.after(refused_publish::pause_after(attempt), [retries, pending, payload, attempt] {
      std::lock_guard lock(retries->mutex);
      if (retries->button == nullptr) return;  // stopped meanwhile: `pending` counts it lost
      pending->made();
      retries->button->send(payload, attempt + 1);
    });
  };
  bus().publish(Message{press_topic_, payload, false, {}}, Qos::at_least_once, std::move(done));
}

}  // namespace snet::agents
