// Test harness: real servers on free ports, owned by the test and stopped when it ends, plus a
// bus client that records what it receives and lets a test await a condition with a deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "snet/broker_launcher.hpp"
#include "snet/bus.hpp"
#include "snet/process.hpp"
#include "snet/rabbitmq_launcher.hpp"

namespace snet::test {

using namespace std::chrono_literals;

/// A fresh directory under the build tree, removed when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "snet-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// A real mosquitto on a free loopback port.
class Mosquitto {
 public:
  Mosquitto();
  std::string url() const { return server_->url(); }
  int port() const { return server_->port(); }
  MosquittoServer& server() { return *server_; }

 private:
  TempDir dir_{"snet-mosquitto"};
  std::unique_ptr<MosquittoServer> server_;
};

/// A real RabbitMQ node (AMQP plus its MQTT plugin, broker-config/rabbitmq/) on free loopback
/// ports, with its own node name and epmd; stopped (no process left) with the object.
class RabbitMq {
 public:
  RabbitMq();
  std::string amqp_url() const { return server_->amqp_url(); }
  std::string mqtt_url() const { return server_->mqtt_url(); }
  int amqp_port() const { return server_->amqp_port(); }
  int mqtt_port() const { return server_->mqtt_port(); }
  RabbitMqServer& server() { return *server_; }

 private:
  TempDir dir_{"snet-rabbitmq"};
  std::unique_ptr<RabbitMqServer> server_;
};

/// A fresh RabbitMQ node needs 5-15 s to boot, so the tests of one process share one: started
/// on first use, stopped at exit. Each test still uses its own topics and queues.
RabbitMq& shared_rabbitmq();

/// Publishes with `amqp-publish` (amqp-tools) exactly as a user would: to `exchange` with a
/// routing key (e.g. "snet.t.press.b" for the MQTT topic snet/t/press/b) and string headers.
/// Returns its exit status.
int amqp_publish(const std::string& url, const std::string& exchange,
                 const std::string& routing_key, const std::string& payload,
                 const std::map<std::string, std::string>& headers = {});

/// Path of a program built by this project (e.g. "snet-relayer").
std::string built_program(const std::string& name);
/// Path of a file in the source tree (e.g. "topology/single.json").
std::string source_path(const std::string& relative);
/// The whole content of the file at `path` ("" when it cannot be read).
std::string read_text(const std::string& path);

/// Starts one of our services with arguments; its output goes to a log file that is printed
/// if the test fails while it is alive (see dump_log()).
class Service {
 public:
  Service(const std::string& program, std::vector<std::string> args,
          std::map<std::string, std::string> env = {});
  ChildProcess& process() { return process_; }
  std::string log() const;
  void stop() { process_.stop(); }

 private:
  TempDir dir_{"snet-service"};
  std::string log_path_;
  ChildProcess process_;
};

/// A bus client that keeps every message it receives, for assertions.
class Recorder {
 public:
  Recorder(const std::string& url, std::vector<std::string> filters);
  ~Recorder();
  Bus& bus() { return *bus_; }
  /// Waits until `pred(messages)` holds, at most `timeout`. Returns whether it did.
  bool wait(const std::function<bool(const std::vector<Message>&)>& pred,
            std::chrono::milliseconds timeout = 5s);
  /// Waits for a message on `topic` whose payload contains `needle`; returns it or nullopt.
  std::optional<Message> wait_for(const std::string& topic, const std::string& needle = "",
                                  std::chrono::milliseconds timeout = 5s);
  std::vector<Message> messages();

 private:
  std::unique_ptr<Bus> bus_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Message> messages_;
};

/// Publishes with `mosquitto_pub` exactly as a user would; returns its exit status.
int mosquitto_pub(int port, const std::string& topic, const std::string& payload,
                  bool null_message = false);
/// Likewise over TLS (`--cafile`, QoS 1, to 127.0.0.1); its exit status (-1: not done in 10 s)
/// and what it printed.
std::pair<int, std::string> mosquitto_pub_tls(int port, const std::string& ca_file,
                                              const std::string& topic, const std::string& payload);

/// Minimal blocking HTTP client for REST assertions: returns {status, body}.
struct HttpResult {
  int status = 0;
  std::string body;
};
HttpResult http_request(const std::string& method, int port, const std::string& target,
                        const std::string& body = "");

/// Polls `probe` until it returns true or `timeout` passes (for state visible only by polling).
bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds timeout = 5s);

}  // namespace snet::test
