#include "snet/broker_launcher.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "snet/net.hpp"

namespace snet {
namespace fs = std::filesystem;

namespace {

// The template with our own listener, persistence folder and log file.
std::string render_config(const MosquittoOptions& opt, const std::string& log_path) {
  std::ifstream in(opt.config_template);
  if (!in) throw std::runtime_error("cannot read mosquitto config " + opt.config_template);
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    const std::string trimmed = first == std::string::npos ? "" : line.substr(first);
    const bool replaced = trimmed.rfind("listener ", 0) == 0 || trimmed.rfind("port ", 0) == 0 ||
                          trimmed.rfind("persistence_location", 0) == 0 ||
                          trimmed.rfind("log_dest", 0) == 0 || trimmed.rfind("pid_file", 0) == 0;
    if (!replaced) out << line << '\n';
  }
  out << "\n# Added by the launcher\n"
      << "listener " << opt.port << ' ' << opt.bind_address << '\n';
  for (const auto& address : opt.extra_bind_addresses) {
    out << "listener " << opt.port << ' ' << address << '\n';
  }
  out << "persistence_location " << opt.data_dir << "/\n"
      << "log_dest file " << log_path << '\n';
  // As root, mosquitto drops to user 'mosquitto', who cannot write our data folder.
  if (::geteuid() == 0) out << "user root\n";
  return out.str();
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
  std::ofstream(config_path_) << render_config(options_, log_path_);
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

std::string broker_config_dir() {
  if (const char* env = std::getenv("SNET_BROKER_CONFIG_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  const fs::path installed = fs::path(self_dir()) / "../share/serverlessnet/broker-config";
  if (fs::exists(installed)) return fs::canonical(installed).string();
  return SNET_SOURCE_DIR "/broker-config";
}

}  // namespace snet
