#include "external_devices.hpp"

#include <signal.h>

#include <sstream>

#include "snet/broker_credentials.hpp"
#include "snet/bus.hpp"
#include "snet/routing.hpp"
#include "snet/topics.hpp"

namespace snet::cli {

std::string external_subscriptions(const Topology& topology, const Device& device) {
  std::string out;
  auto add = [&out](const std::string& filter) { out += (out.empty() ? "" : " ") + filter; };
  if (device.kind == DeviceKind::button) {
    add(topics::make(topology.name, topics::Kind::trigger, device.id));
  } else if (device.kind == DeviceKind::actuator) {
    for (const auto& subscription : routing::ActuatorSubscriptions(topology).of(device)) {
      add(subscription.filter);
    }
  }
  return out;
}

std::string shell_word(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789-_./:@=+,") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string external_service_name(const std::string& device_id) {
  return "external-" + device_id;
}

std::map<std::string, std::string> external_device_env(const Topology& topology,
                                                       const Device& device,
                                                       const ExternalConnection& connection) {
  const std::string& url =
      device.protocol == Protocol::amqp ? connection.amqp_url : connection.mqtt_url;
  std::map<std::string, std::string> env = {
      {"SNET_TOPOLOGY", connection.topology_path},
      {"SNET_TOPOLOGY_NAME", topology.name},
      {"SNET_DEVICE_ID", device.id},
      {"SNET_DEVICE_ROLE", std::string(to_string(device.kind))},
      {"SNET_CLIENT_ID", "snet-" + topology.name + "-" + device.id},
      {"SNET_SUBSCRIBE", external_subscriptions(topology, device)},
      {"SNET_BROKER_URL", url},
  };
  if (connection.accounts != nullptr) {
    env["SNET_BROKER_URL"] = with_url_user(url, device.id);
    env["SNET_BROKER_USER"] = device.id;
    env[kBrokerPasswordFileEnv] = connection.accounts->password_file(device.id);
    env[kBrokerPasswordEnv] = "";  // never snet up's own, should its environment have one
  }
  if (!connection.ca_file.empty()) env[kBrokerCaFileEnv] = connection.ca_file;
  return env;
}

std::string external_devices_text(const Topology& topology, const ExternalConnection& connection,
                                  const std::string& log_dir) {
  std::ostringstream out;
  for (const Device& device : topology.devices) {
    if (!device.external) continue;
    out << "external device " << device.id << " (plays " << to_string(device.kind) << "): ";
    if (device.command.empty()) {
      out << "yours to run (docs/external-devices.md), with\n";
    } else {
      out << "run by snet up as " << external_service_name(device.id) << ", log " << log_dir << "/"
          << external_service_name(device.id) << ".log, with\n";
    }
    for (const auto& [name, value] : external_device_env(topology, device, connection)) {
      if (name == kBrokerPasswordEnv) continue;
      out << "  " << name << "=" << shell_word(value) << "\n";
    }
  }
  return out.str();
}

ExternalProgram::ExternalProgram(std::vector<std::string> argv, std::string cwd,
                                 std::string log_path, std::map<std::string, std::string> env)
    : argv_(std::move(argv)),
      cwd_(std::move(cwd)),
      log_path_(std::move(log_path)),
      env_(std::move(env)) {}

ExternalProgram::~ExternalProgram() {
  process_.stop(std::chrono::seconds(1));
  kill_leftovers();
}

void ExternalProgram::kill_leftovers() {
  // The leader has been reaped (or never ran): what is left of its group was started by it and
  // would otherwise outlive it, orphaned.
  if (group_ > 0 && !process_.running()) ::kill(-group_, SIGKILL);
}

void ExternalProgram::start() {
  kill_leftovers();
  ChildProcess::Options options;
  options.env = env_;
  options.stdout_path = log_path_;
  options.stderr_path = "=stdout";
  options.new_process_group = true;  // its own group, so that its leftovers can be found
  options.die_with_owner = true;
  options.cwd = cwd_;
  process_ = ChildProcess(argv_, options);
  group_ = process_.pid();
}

}  // namespace snet::cli
