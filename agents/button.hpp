// An emulated button. On snet/<topology>/trigger/<id> (payload empty or {"id": "<press id>"})
// it presses: publishes a Press {id, ts=now} on snet/<topology>/press/<id> at QoS 1.
// Thread safety: see EmulatedDevice.
#pragma once

#include "emulated_device.hpp"

namespace snet::agents {

class ButtonDevice final : public EmulatedDevice {
 public:
  ButtonDevice(const DeviceContext& context, std::string id);
  ~ButtonDevice() override;

 private:
  void on_trigger(const Message& message);
  std::string press_topic_;
};

}  // namespace snet::agents
