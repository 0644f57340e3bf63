#include "snet/rabbitmq_launcher.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "snet/atomic_file.hpp"
#include "snet/broker_launcher.hpp"
#include "snet/file_modes.hpp"
#include "snet/log.hpp"
#include "snet/net.hpp"

namespace snet {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// RabbitMQ logs this once every boot step, plugin and listener is up.
constexpr std::string_view kBootedMarker = "Server startup complete";

std::string find_program(const std::string& configured, const std::string& name) {
  if (!configured.empty()) return configured;
  if (const char* dir = std::getenv("SNET_RABBITMQ_BIN"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/" + name;
  }
  const std::string debian = "/usr/lib/rabbitmq/bin/" + name;
  return fs::exists(debian) ? debian : name;
}

std::string read_file(const std::string& path, std::uintmax_t offset = 0) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uintmax_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// The last lines of a log, enough to see why a node failed without flooding the error.
std::string tail(const std::string& text, std::size_t max_chars = 6000) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

void copy_required(const fs::path& from, const fs::path& to) {
  if (!fs::exists(from)) throw std::runtime_error("RabbitMQ config file missing: " + from.string());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// AMQPS (and MQTT over TLS when asked) on every bind address; clients need no certificate.
std::string tls_listeners(const RabbitMqOptions& opt) {
  std::ostringstream out;
  std::vector<std::string> addresses = {opt.bind_address};
  addresses.insert(addresses.end(), opt.extra_bind_addresses.begin(),
                   opt.extra_bind_addresses.end());
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const std::string name = i == 0 ? "default" : std::to_string(i + 1);
    out << "listeners.ssl." << name << " = " << addresses[i] << ':' << opt.amqps_port << '\n';
    if (opt.mqtts_port != 0) {
      out << "mqtt.listeners.ssl." << name << " = " << addresses[i] << ':' << opt.mqtts_port
          << '\n';
    }
  }
  out << "ssl_options.cacertfile = " << opt.tls_ca_file << '\n'
      << "ssl_options.certfile = " << opt.tls_cert_file << '\n'
      << "ssl_options.keyfile = " << opt.tls_key_file << '\n'
      << "ssl_options.verify = verify_none\n"
      << "ssl_options.fail_if_no_peer_cert = false\n";
  return out.str();
}

// The template with our own listeners and definitions file; every other line as written.
std::string render_config(const fs::path& template_path, const RabbitMqOptions& opt,
                          const std::string& definitions_path) {
  std::ifstream in(template_path);
  if (!in) throw std::runtime_error("cannot read RabbitMQ config " + template_path.string());
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    const std::string trimmed = first == std::string::npos ? "" : line.substr(first);
    const bool own_logins = !opt.definitions_file.empty();
    const bool replaced =
        trimmed.rfind("listeners.tcp.", 0) == 0 || trimmed.rfind("mqtt.listeners.tcp.", 0) == 0 ||
        trimmed.rfind("listeners.ssl.", 0) == 0 || trimmed.rfind("mqtt.listeners.ssl.", 0) == 0 ||
        trimmed.rfind("ssl_options.", 0) == 0 || trimmed.rfind("load_definitions", 0) == 0 ||
        (own_logins && (trimmed.rfind("mqtt.allow_anonymous", 0) == 0 ||
                        trimmed.rfind("mqtt.default_user", 0) == 0 ||
                        trimmed.rfind("mqtt.default_pass", 0) == 0));
    if (!replaced) out << line << '\n';
  }
  out << "\n# Added by the launcher\n";
  if (!opt.definitions_file.empty()) {
    // Logins of the data dir: MQTT clients without one act as a user that may only press and
    // read states, or are refused; guest is refused anyway (it does not exist, and would be
    // loopback-only).
    const bool anonymous = !opt.mqtt_anonymous_user.empty();
    out << "mqtt.allow_anonymous = " << (anonymous ? "true" : "false") << '\n';
    if (anonymous) {
      out << "mqtt.default_user = " << opt.mqtt_anonymous_user << '\n'
          << "mqtt.default_pass = " << opt.mqtt_anonymous_password << '\n';
    }
    out << "loopback_users.guest = true\n";
  }
  out << "listeners.tcp.default = " << opt.bind_address << ':' << opt.amqp_port << '\n'
      << "mqtt.listeners.tcp.default = " << opt.bind_address << ':' << opt.mqtt_port << '\n';
  int listener = 2;
  for (const auto& address : opt.extra_bind_addresses) {
    out << "listeners.tcp." << listener << " = " << address << ':' << opt.amqp_port << '\n'
        << "mqtt.listeners.tcp." << listener << " = " << address << ':' << opt.mqtt_port << '\n';
    ++listener;
  }
  if (opt.amqps_port != 0) out << tls_listeners(opt);
  if (!opt.cluster_nodes.empty()) {
    out << "cluster_formation.peer_discovery_backend = classic_config\n";
    for (std::size_t i = 0; i < opt.cluster_nodes.size(); ++i) {
      out << "cluster_formation.classic_config.nodes." << i + 1 << " = " << opt.cluster_nodes[i]
          << '\n';
    }
    // An MQTT device's session queue then survives its node (a classic one would be unreachable
    // from the others: SUBSCRIBE fails with "home node ... is down").
    out << "mqtt.durable_queue_type = quorum\n";
  }
  if (opt.definitions_file.empty()) {
    out << "load_definitions = " << definitions_path << '\n';
  } else {
    // Thousands of logins take a while to import (tens of seconds): a node restarted on the
    // same database may skip the import when the file did not change (its hash is kept there).
    out << "definitions.import_backend = local_filesystem\n"
        << "definitions.local.path = " << definitions_path << '\n'
        << "definitions.skip_if_unchanged = true\n";
  }
  return out.str();
}

std::string client_host(const std::string& bind_address) {
  return bind_address == "0.0.0.0" || bind_address == "::" ? "127.0.0.1" : bind_address;
}

}  // namespace

RabbitMqServer::RabbitMqServer(RabbitMqOptions options, std::chrono::milliseconds timeout)
    : RabbitMqServer(std::move(options), Prepared{}) {
  const auto started = std::chrono::steady_clock::now();
  start_epmd();
  const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  launch_node(timeout - spent);
  start_duration_ += spent;
}

RabbitMqServer::RabbitMqServer(RabbitMqOptions options, Prepared) : options_(std::move(options)) {
  if (options_.data_dir.empty()) throw std::invalid_argument("RabbitMqServer: data_dir is empty");
  if (options_.config_dir.empty()) options_.config_dir = broker_config_dir() + "/rabbitmq";
  fs::create_directories(options_.data_dir);
  options_.data_dir = fs::absolute(options_.data_dir).string();
  if (options_.dist_port == 0) options_.dist_port = free_port();
  if (options_.epmd_port == 0) options_.epmd_port = free_port();
  if (options_.node_name.empty()) {
    options_.node_name = "snet-" + std::to_string(::getpid()) + "-" +
                         std::to_string(options_.amqp_port) + "@localhost";
  }
  options_.server_executable = find_program(options_.server_executable, "rabbitmq-server");
  options_.ctl_executable = find_program(options_.ctl_executable, "rabbitmqctl");

  const fs::path config(options_.config_dir), data(options_.data_dir);
  copy_required(config / "enabled_plugins", data / "enabled_plugins");
  copy_required(options_.definitions_file.empty() ? config / "definitions.json"
                                                  : fs::path(options_.definitions_file),
                data / "definitions.json");
  // Users with their password hashes, and the MQTT plugin's default login: the owner's only.
  narrow_mode((data / "definitions.json").string(), kSecretFileMode);
  write_file_atomically(
      (data / "rabbitmq.conf").string(),
      render_config(config / "rabbitmq.conf", options_, (data / "definitions.json").string()),
      kSecretFileMode);
  if (!options_.erlang_cookie.empty()) {
    write_file_atomically((data / ".erlang.cookie").string(), options_.erlang_cookie,
                          kSecretFileMode);
  }
  std::ofstream(data / "rabbitmq-env.conf")
      << "# empty: keeps /etc/rabbitmq/rabbitmq-env.conf out\n";
  log_path_ = (data / "rabbitmq.log").string();
}

std::unique_ptr<RabbitMqServer> RabbitMqServer::prepare(RabbitMqOptions options) {
  return std::unique_ptr<RabbitMqServer>(new RabbitMqServer(std::move(options), Prepared{}));
}

ChildProcess launch_epmd(int port, const std::string& address, const std::string& log_path) {
  ChildProcess epmd({"epmd", "-port", std::to_string(port), "-address", address},
                    ChildProcess::Options{{}, log_path, "=stdout", true});
  if (!wait_for_port(address, port, 5s)) {
    epmd.stop();
    throw std::runtime_error("epmd did not listen on port " + std::to_string(port) + ": " +
                             read_file(log_path));
  }
  return epmd;
}

// Our own epmd, in the foreground: a node would otherwise daemonize one that outlives it and
// that no one reaps.
void RabbitMqServer::start_epmd() {
  if (!options_.own_epmd || epmd_.running()) return;
  epmd_ = launch_epmd(options_.epmd_port, client_host(options_.bind_address),
                      options_.data_dir + "/epmd.log");
}

void RabbitMqServer::start() {
  start_epmd();
  log_offset_ = file_size_or_zero(log_path_);
  booted_ = false;
  ChildProcess::Options run{environment(), log_path_, "=stdout", true};
  // A crashing node (e.g. a cluster peer's kill -9) dumps MnesiaCore.* into its working
  // directory: its data dir, not wherever the owner runs.
  run.cwd = options_.data_dir;
  node_ = ChildProcess({options_.server_executable}, run);
}

bool RabbitMqServer::ready() {
  if (!booted_) {
    booted_ = read_file(log_path_, log_offset_).find(kBootedMarker) != std::string::npos;
    if (!booted_) return false;
  }
  const std::string host = client_host(options_.bind_address);
  return wait_for_port(host, options_.amqp_port, 0ms) &&
         wait_for_port(host, options_.mqtt_port, 0ms);
}

RabbitMqServer::~RabbitMqServer() {
  stop();
}

std::map<std::string, std::string> RabbitMqServer::environment() const {
  const std::string& data = options_.data_dir;
  return {
      {"HOME", data},  // the Erlang cookie; rabbitmqctl must see the same one
      {"RABBITMQ_NODENAME", options_.node_name},
      {"RABBITMQ_NODE_IP_ADDRESS", options_.bind_address},
      {"RABBITMQ_NODE_PORT", std::to_string(options_.amqp_port)},
      {"RABBITMQ_DIST_PORT", std::to_string(options_.dist_port)},
      {"ERL_EPMD_PORT", std::to_string(options_.epmd_port)},
      // Our epmd is already up; node and rabbitmqctl talk Erlang distribution on loopback only
      // (the scripts split these unquoted, so the tuple must not contain spaces). -noinput and
      // "+B i" (no break handler on SIGINT) are what the script adds in its wrapper mode.
      {"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
       "-noinput +B i -start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"},
      {"RABBITMQ_CTL_ERL_ARGS", "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"},
      {"RABBITMQ_MNESIA_BASE", data + "/mnesia"},
      {"RABBITMQ_LOG_BASE", data + "/log"},
      {"RABBITMQ_LOGS", "-"},
      {"RABBITMQ_CONFIG_FILE", data + "/rabbitmq.conf"},
      {"RABBITMQ_ADVANCED_CONFIG_FILE", data + "/advanced.config"},
      {"RABBITMQ_ENABLED_PLUGINS_FILE", data + "/enabled_plugins"},
      {"RABBITMQ_CONF_ENV_FILE", data + "/rabbitmq-env.conf"},
      {"RABBITMQ_PID_FILE", data + "/rabbitmq.pid"},
      // Set: the script execs the VM instead of running it as its own child behind a shell
      // that traps SIGTERM. So the process we own IS the VM: it stops cleanly on SIGTERM (OTP
      // and RabbitMQ handle it), and when we die its death signal reaches it (a SIGKILLed
      // wrapper would leave the VM running). The VM gets -noinput above all the same.
      {"RABBITMQ_ALLOW_INPUT", "1"},
      {"NOTIFY_SOCKET", ""},
  };
}

void RabbitMqServer::launch_node(std::chrono::milliseconds timeout) {
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  start();
  const auto fail = [&](const std::string& why) {
    stop_node(5s);
    throw std::runtime_error("RabbitMQ node " + options_.node_name + " " + why + "; its log:\n" +
                             tail(read_file(log_path_, log_offset_)));
  };
  // Booted means every plugin and listener is up and definitions are loaded; the log says so.
  while (!ready()) {
    if (!node_.running()) fail("exited while starting");
    if (std::chrono::steady_clock::now() >= deadline) {
      fail(booted_ ? "does not accept AMQP and MQTT connections"
                   : "did not boot within " + std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(50ms);  // polling a log file: no event exists to await
  }
  start_duration_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::debug("rabbitmq: node ", options_.node_name, " ready in ", start_duration_.count(), " ms");
}

void RabbitMqServer::stop_node(std::chrono::milliseconds grace) {
  if (node_.running()) {
    // The whole group: the Erlang VM and its helpers. The VM shuts down cleanly on SIGTERM;
    // its helper processes (erl_child_setup, inet_gethost) exit with it.
    ::kill(-node_.pid(), SIGTERM);
    if (!node_.wait_for(grace)) {
      log::warn("rabbitmq: node ", options_.node_name, " ignored SIGTERM for ", grace.count(),
                " ms; killing it");
      ::kill(-node_.pid(), SIGKILL);
    }
  }
  node_.stop();  // reaps
}

void RabbitMqServer::stop(std::chrono::milliseconds grace) {
  stop_node(grace);
  epmd_.stop();
}

void RabbitMqServer::restart(std::chrono::milliseconds timeout) {
  stop_node(30s);
  launch_node(timeout);
}

std::string RabbitMqServer::amqp_url() const {
  return "amqp://" + options_.user + ":" + options_.password + "@" +
         client_host(options_.bind_address) + ":" + std::to_string(options_.amqp_port) + "/" +
         options_.vhost;
}

std::string RabbitMqServer::amqps_url() const {
  if (options_.amqps_port == 0) return "";
  return "amqps://" + options_.user + ":" + options_.password + "@" +
         client_host(options_.bind_address) + ":" + std::to_string(options_.amqps_port) + "/" +
         options_.vhost;
}

std::string RabbitMqServer::mqtts_url() const {
  if (options_.mqtts_port == 0) return "";
  return "mqtts://" + client_host(options_.bind_address) + ":" +
         std::to_string(options_.mqtts_port);
}

std::string RabbitMqServer::mqtt_url() const {
  return "mqtt://" + client_host(options_.bind_address) + ":" + std::to_string(options_.mqtt_port);
}

RabbitMqServer::CtlResult RabbitMqServer::rabbitmqctl(const std::vector<std::string>& args,
                                                      std::chrono::milliseconds timeout) {
  const std::string out_path =
      options_.data_dir + "/rabbitmqctl-" + std::to_string(++ctl_runs_) + ".out";
  std::vector<std::string> argv = {options_.ctl_executable, "-n", options_.node_name};
  argv.insert(argv.end(), args.begin(), args.end());
  CtlResult result;
  {
    ChildProcess ctl(argv, ChildProcess::Options{environment(), out_path, "=stdout", true});
    if (ctl.wait_for(timeout)) {
      const auto status = ctl.exit_status();
      result.exit_code = status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
    }
  }  // stops it if it overran
  result.output = read_file(out_path);
  std::error_code ec;
  fs::remove(out_path, ec);
  return result;
}

std::string RabbitMqServer::log() const {
  return read_file(log_path_);
}

}  // namespace snet
