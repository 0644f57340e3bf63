// `snet up` as a person runs it, for tests: free ports, its own data dir, its output in a file;
// plus /proc helpers to find the processes of a stack (children, descendants, command lines).
#pragma once

#include <sys/types.h>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace snet::test {

/// Direct children of `parent` (pid -> command name), from /proc/<pid>/stat.
std::map<pid_t, std::string> children_of(pid_t parent);
/// Children, grandchildren... of `root`.
std::map<pid_t, std::string> descendants_of(pid_t root);
/// Live processes (not zombies) whose command line contains `text`, e.g. a data dir.
std::map<pid_t, std::string> processes_mentioning(const std::string& text);
/// Processes holding a TCP socket that listens on `port` (from /proc/net/tcp{,6} and their fds).
std::map<pid_t, std::string> listeners_on(int port);
/// Whether `pid` exists and is not a zombie (a killed process whose parent has not reaped it,
/// e.g. an orphan under an init that does not reap, is gone for our purposes).
bool alive(pid_t pid);
/// The state letter of /proc/<pid>/stat ('R', 'S', 'T' stopped...), or 0 when gone.
char process_state(pid_t pid);

/// A finished `snet` command: its exit status (-1: did not exit in time) and its output.
struct SnetRun {
  int status = -1;
  std::string output;
};
/// Runs `snet args...` to completion (bounded), stdout and stderr captured together, with `env`
/// added to the environment.
SnetRun run_snet(std::vector<std::string> args,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20),
                 std::map<std::string, std::string> env = {});

class SnetUp {
 public:
  struct Options {
    std::string topology = "topology/single.json";  // relative to the source tree
    std::string topology_name = "single";           // its "name" (the topics' second level)
    std::vector<std::string> extra_args;
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(60);
    std::map<std::string, std::string> env = {};  // added to the test's environment
    /// false: only start it (for tests of start-up failures: process().wait_for(), output()).
    bool wait_until_up = true;
    /// Its --data-dir ("": its own, removed with it). Give one to run stacks one after the
    /// other on the same data (persistence across runs).
    std::string data_dir = {};
  };
  /// Starts `snet up` and waits until it says it is up; throws std::runtime_error with its
  /// output when it does not.
  explicit SnetUp(Options options);
  SnetUp() : SnetUp(Options{}) {}
  /// SIGTERM, then a bounded wait: long enough for a large stack to stop cleanly (campus's
  /// broker alone takes 6 s to drop 15,000 clients), so that its namespaces are removed.
  ~SnetUp() { process_.stop(kStopGrace); }
  static constexpr std::chrono::seconds kStopGrace{30};

  ChildProcess& process() { return process_; }
  pid_t pid() const { return process_.pid(); }
  int mqtt_port() const { return mqtt_port_; }
  int amqp_port() const { return amqp_port_; }
  /// Its Mosquitto as the operator (snet.up, the password of <data-dir>/credentials/ in the URL:
  /// tests only), which may do anything; the plain URL when the stack has no such login.
  std::string mqtt_url() const;
  /// Its MQTT listener without a login: anonymous clients may only press and read states.
  std::string anonymous_url() const { return "mqtt://127.0.0.1:" + std::to_string(mqtt_port_); }
  /// RabbitMQ topologies: the node's AMQP URL as the operator (snet.up, as mqtt_url()).
  std::string amqp_url() const;
  /// The node's AMQP URL without a login.
  std::string amqp_anonymous_url() const {
    return "amqp://127.0.0.1:" + std::to_string(amqp_port_) + "/snet";
  }
  int http_port() const { return http_port_; }
  int control_port() const { return control_port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string output() const { return read_text(output_path_); }

  /// GET /services of the control endpoint: the "services" array.
  nlohmann::json services();
  /// One entry of it (null when absent).
  nlohmann::json service(const std::string& name);
  /// Its pid (0 when unknown) and restarts (-1 when unknown).
  pid_t pid_of(const std::string& name) { return service(name).value("pid", 0); }
  int restarts_of(const std::string& name) { return service(name).value("restarts", -1); }
  /// POST /services/<name>/<verb>.
  HttpResult control(const std::string& name, const std::string& verb);
  /// Waits until `pred(service(name))` holds, at most `timeout`.
  bool wait_service(const std::string& name, const std::function<bool(const nlohmann::json&)>& pred,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Publishes presses of `button` with fresh ids (one per second) until `actuator`'s state in
  /// the REST API carries one of them; returns that id, or "" after `timeout`.
  std::string press_until_applied(const std::string& button, const std::string& actuator,
                                  const std::string& id_prefix,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  TempDir dir_{"snet-up"};
  std::string topology_name_, data_dir_, output_path_;
  int mqtt_port_ = 0, amqp_port_ = 0, http_port_ = 0, control_port_ = 0;
  ChildProcess process_;
};

}  // namespace snet::test
