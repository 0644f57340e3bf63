#include "button.hpp"

#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet::agents {

ButtonDevice::ButtonDevice(const DeviceContext& context, std::string id)
    : EmulatedDevice(context, std::move(id)),
      press_topic_(topics::make(topology(), topics::Kind::press, this->id())) {
  bus().on_message([this](const Message& message) { on_trigger(message); });
  bus().subscribe(topics::make(topology(), topics::Kind::trigger, this->id()), Qos::at_least_once);
}

ButtonDevice::~ButtonDevice() {
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
  bus().publish(Message{press_topic_, to_json(press), false, {}}, Qos::at_least_once);
  metrics().presses.add();
}

}  // namespace snet::agents
