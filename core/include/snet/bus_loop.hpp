// BusLoop: one event loop (Boost.Asio, epoll) on one thread that carries any number of MQTT
// connections, each a Bus of our own lean MQTT 3.1.1 client. Used where Paho falls short:
// - many clients in one process (the agents' devices): Paho C serves every client of a process
//   from one poll() over all sockets per event, which collapses at thousands of clients, and
//   libmosquitto 2.0.11 needs three descriptors per client; here a client costs one socket and a
//   few KB;
// - acknowledging a message after the work it asked for is safe (BusOptions::manual_ack, used by
//   the relayer and the state service): Paho C sends a QoS 1 PUBACK before the application sees
//   the message (MQTTProtocol_handlePublishes), so a crash right after loses it;
// - emulated connection faults (Bus::control: offline, crash, freeze, reconnect).
// mqtts:// connections run over TLS (one OpenSSL context per broker and CA file, shared by all
// its connections). URLs of other schemes (amqp://, amqps://) get snet::make_bus().
// Thread safety: make_bus() and after() from any thread; destroy only after every bus it made.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "snet/bus.hpp"

namespace snet {

class BusLoop {
 public:
  BusLoop();
  ~BusLoop();
  BusLoop(const BusLoop&) = delete;
  BusLoop& operator=(const BusLoop&) = delete;

  /// A Bus on this loop for mqtt://, tcp:// and mqtts:// URLs; any other scheme gets
  /// snet::make_bus(). Throws std::invalid_argument for a bad URL or a CA file that cannot be
  /// loaded.
  std::unique_ptr<Bus> make_bus(const BusOptions& options);

  /// Runs `fn` on the loop thread after `delay` (unless the loop is destroyed first).
  void after(std::chrono::milliseconds delay, std::function<void()> fn);

 private:
  struct Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace snet
