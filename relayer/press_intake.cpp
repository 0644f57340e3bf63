#include "press_intake.hpp"

#include <string>

namespace snet::relayer {

AcceptedPress accept_press(const Topology& topology, std::string_view button,
                           const Message& message) {
  if (message.retained) {
    // Replaying a retained press at every relayer start would flip lamps nobody touched.
    throw BadMessage("retained", "retained press ignored (publish presses without -r)");
  }
  if (message.payload.size() > kMaxPayloadBytes) {
    throw BadMessage("oversized", "payload of " + std::to_string(message.payload.size()) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(kMaxPayloadBytes));
  }
  const Device* device = topology.find(button);
  if (device == nullptr) {
    throw BadMessage("unknown_device",
                     "no device '" + std::string(button) + "' in topology '" + topology.name + "'");
  }
  if (device->kind != DeviceKind::button) {
    throw BadMessage("unknown_device",
                     "'" + std::string(button) + "' is an actuator, not a button");
  }
  AcceptedPress accepted{device, parse_press(message.payload)};
  if (accepted.press.id.empty()) accepted.press.id = new_press_id();
  if (accepted.press.ts == 0) accepted.press.ts = now_us();
  return accepted;
}

}  // namespace snet::relayer
