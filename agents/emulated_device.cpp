#include "emulated_device.hpp"

#include "snet/log.hpp"
#include "snet/topics.hpp"

namespace snet::agents {

EmulatedDevice::EmulatedDevice(const DeviceContext& context, std::string id)
    : id_(std::move(id)), topology_(context.topology), metrics_(context.metrics) {
  BusOptions options;
  options.url = context.broker_url;
  options.password = context.broker_password;
  options.client_id = "snet-" + topology_ + "-" + id_;
  options.persistent_session = true;
  options.log_connection_changes = context.log_connections;
  options.placement = context.placement;
  options.will = Message{
      topics::make(topology_, topics::Kind::presence, id_), R"({"online":false})", true, {}};
  bus_ = context.network.make_bus(options);
  bus_->on_connection_change([this](bool up) {
    metrics_.connected.add(up ? 1 : -1);
    if (!up) metrics_.losses.add();
    if (up) {
      bus_->publish(
          Message{
              topics::make(topology_, topics::Kind::presence, id_), R"({"online":true})", true, {}},
          Qos::at_least_once);
      on_connected();
    }
  });
}

// Stop first: no handler may run into a half-destroyed subclass.
EmulatedDevice::~EmulatedDevice() {
  const bool was_connected = bus_->connected();
  bus_->stop();
  if (was_connected) metrics_.connected.add(-1);
}

void EmulatedDevice::control(ConnectionControl fault) {
  faulted_.store(fault == ConnectionControl::offline || fault == ConnectionControl::crash ||
                     fault == ConnectionControl::freeze,
                 std::memory_order_relaxed);
  bus_->control(fault);
}

void EmulatedDevice::reject(const Message& message, const std::string& reason,
                            const std::string& why) {
  metrics_.rejected(reason).add();
  log::warn(id_, ": rejected message on ", message.topic, ": ", reason, ": ", why);
}

}  // namespace snet::agents
