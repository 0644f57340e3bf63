// An emulated button. On snet/<topology>/trigger/<id> (payload empty or {"id": "<press id>"})
// it presses: publishes a Press {id, ts=now} on snet/<topology>/press/<id> at QoS 1. A press the
// broker refuses (a nack) is published again (snet/refused_publish.hpp), as a real device
// would; one refused on every try, or unconfirmed when the device stops, is counted as lost.
// Thread safety: see EmulatedDevice.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "emulated_device.hpp"

namespace snet::agents {

class ButtonDevice final : public EmulatedDevice {
 public:
  ButtonDevice(const DeviceContext& context, std::string id);
  ~ButtonDevice() override;

 private:
  void on_trigger(const Message& message);
  void send(const std::string& payload, int attempt);

  // Held by the timers of tries to come: they publish only while the button lives.
  struct Retries {
    std::mutex mutex;
    ButtonDevice* button = nullptr;  // nullptr once the button is going away
    std::atomic<bool> alive{true};
  };
  BusLoop& network_;  // outlives the device (the agent's)
  std::string press_topic_;
  std::shared_ptr<Retries> retries_;
};

}  // namespace snet::agents
