#include "snet/broker_launcher.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <pwd.h>
#include <unistd.h>

#include "snet/atomic_file.hpp"
#include "snet/net.hpp"

namespace snet {
namespace fs = std::filesystem;

namespace {

bool starts_with(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool loopback(const std::string& address) {
  return starts_with(address, "127.") || address == "::1" || address == "localhost";
}

// The template with our own listeners, persistence folder, log file and (when given) logins.
// Logins are global settings, not per listener: Mosquitto 2.0 (per_listener_settings) denies
// every message to a persistent session restored from its database until that client is back
// (it has no listener then), so an actuator away across a broker restart would lose its
// commands. Anonymous clients are therefore allowed only when every listener is on loopback.
std::string render_config(const MosquittoOptions& opt, const std::string& log_path) {
  std::ifstream in(opt.config_template);
  if (!in) throw std::runtime_error("cannot read mosquitto config " + opt.config_template);
  const bool logins = !opt.password_file.empty();
  std::vector<std::string> addresses = {opt.bind_address};
  addresses.insert(addresses.end(), opt.extra_bind_addresses.begin(),
                   opt.extra_bind_addresses.end());
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    const std::string trimmed = first == std::string::npos ? "" : line.substr(first);
    bool replaced = starts_with(trimmed, "listener ") || starts_with(trimmed, "port ") ||
                    starts_with(trimmed, "cafile ") || starts_with(trimmed, "certfile ") ||
                    starts_with(trimmed, "keyfile ") ||
                    starts_with(trimmed, "persistence_location") ||
                    starts_with(trimmed, "log_dest") || starts_with(trimmed, "pid_file") ||
                    starts_with(trimmed, "user ");
    if (logins) {
      replaced = replaced || starts_with(trimmed, "allow_anonymous") ||
                 starts_with(trimmed, "password_file") || starts_with(trimmed, "acl_file") ||
                 starts_with(trimmed, "per_listener_settings");
    }
    if (!replaced) out << line << '\n';
  }
  out << "\n# Added by the launcher\n";
  if (logins) {
    const bool all_loopback = std::all_of(addresses.begin(), addresses.end(), loopback);
    // Anonymous clients (mosquitto_pub pressing a button) only where only this machine's users
    // reach; the ACL's anonymous lines say what they may do.
    out << "allow_anonymous " << (all_loopback ? "true" : "false") << '\n'
        << "password_file " << opt.password_file << '\n'
        << "acl_file " << opt.acl_file << '\n';
  }
  for (const auto& address : addresses) out << "listener " << opt.port << ' ' << address << '\n';
  if (opt.tls_port != 0) {  // TLS settings are the listener's, so each one repeats them
    for (const auto& address : addresses) {
      out << "listener " << opt.tls_port << ' ' << address << '\n'
          << "cafile " << opt.tls_ca_file << '\n'
          << "certfile " << opt.tls_cert_file << '\n'
          << "keyfile " << opt.tls_key_file << '\n';
    }
  }
  out << "persistence_location " << opt.data_dir << "/\n"
      << "log_dest file " << log_path << '\n';
  // As root, mosquitto switches to user 'mosquitto' unless told otherwise; our data folder is
  // then given to run_as, or it stays root.
  if (::geteuid() == 0) out << "user " << (opt.run_as.empty() ? "root" : opt.run_as) << '\n';
  out << opt.extra_config;
  return out.str();
}

// Gives `dir` and everything in it to `user`.
void give_to(const std::string& dir, const std::string& user) {
  const passwd* entry = ::getpwnam(user.c_str());
  if (entry == nullptr) throw std::runtime_error("mosquitto: no user '" + user + "' to run as");
  auto give = [&](const fs::path& path) {
    if (::lchown(path.c_str(), entry->pw_uid, entry->pw_gid) != 0) {
      throw std::runtime_error("mosquitto: cannot give " + path.string() + " to '" + user + "'");
    }
  };
  give(dir);
  for (const auto& item : fs::recursive_directory_iterator(dir)) give(item.path());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

MosquittoServer::MosquittoServer(MosquittoOptions options, std::chrono::milliseconds timeout)
    : MosquittoServer(std::move(options), Prepared{}) {
  launch(timeout);
}

MosquittoServer::MosquittoServer(MosquittoOptions options, Prepared)
    : options_(std::move(options)) {
  if (options_.config_template.empty()) {
    options_.config_template = broker_config_dir() + "/mosquitto.conf";
  }
  fs::create_directories(options_.data_dir);
  options_.data_dir = fs::absolute(options_.data_dir).string();
  config_path_ = options_.data_dir + "/mosquitto.conf";
  log_path_ = options_.data_dir + "/mosquitto.log";
  write_file_atomically(config_path_, render_config(options_, log_path_),
                        options_.extra_config.empty() ? 0644 : 0600);
  if (::geteuid() == 0 && !options_.run_as.empty()) {
    std::ofstream(log_path_, std::ios::app).close();  // exists, to be given away too
    give_to(options_.data_dir, options_.run_as);
  }
}

std::unique_ptr<MosquittoServer> MosquittoServer::prepare(MosquittoOptions options) {
  return std::unique_ptr<MosquittoServer>(new MosquittoServer(std::move(options), Prepared{}));
}

void MosquittoServer::start() {
  process_ = ChildProcess({options_.executable, "-c", config_path_},
                          ChildProcess::Options{{}, log_path_, "=stdout", true});
}

bool MosquittoServer::accepting() const {
  return wait_for_port(client_host(), options_.port, std::chrono::milliseconds(0));
}

void MosquittoServer::launch(std::chrono::milliseconds timeout) {
  start();
  if (!wait_for_port(client_host(), options_.port, timeout)) {
    process_.stop();
    throw std::runtime_error("mosquitto did not accept connections on port " +
                             std::to_string(options_.port) + "; its log:\n" + read_file(log_path_));
  }
}

void MosquittoServer::restart(std::chrono::milliseconds timeout) {
  process_.stop();
  launch(timeout);
}

std::string MosquittoServer::client_host() const {
  return options_.bind_address == "0.0.0.0" ? "127.0.0.1" : options_.bind_address;
}

std::string MosquittoServer::url() const {
  return "mqtt://" + client_host() + ":" + std::to_string(options_.port);
}

std::string MosquittoServer::tls_url() const {
  if (options_.tls_port == 0) return "";
  return "mqtts://" + client_host() + ":" + std::to_string(options_.tls_port);
}

std::string broker_config_dir() {
  if (const char* env = std::getenv("SNET_BROKER_CONFIG_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  const fs::path installed = fs::path(self_dir()) / "../share/serverlessnet/broker-config";
  if (fs::exists(installed)) return fs::canonical(installed).string();
  return SNET_SOURCE_DIR "/broker-config";
}

}  // namespace snet
