#include "harness.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "snet/net.hpp"

namespace snet::test {
namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
  const fs::path base = fs::path(SNET_BINARY_DIR) / "test-tmp";
  fs::create_directories(base);
  std::string templ = (base / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + templ);
  path_ = templ;
}

TempDir::~TempDir() {
  // SNET_TEST_KEEP_DIRS=1 keeps what a failing run left (logs, data dirs) for reading afterwards.
  if (const char* keep = std::getenv("SNET_TEST_KEEP_DIRS"); keep != nullptr && *keep == '1') {
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Mosquitto::Mosquitto() {
  MosquittoOptions opt;
  opt.port = free_port();
  opt.data_dir = dir_.path();
  server_ = std::make_unique<MosquittoServer>(opt);
}

RabbitMq::RabbitMq() {
  // Its ports are free when chosen but bound only once the node has booted, seconds later:
  // another test process may take one meanwhile (seen: eaddrinuse on the MQTT listener under
  // ctest -j2). Such a boot is tried again on other ports, in a data directory of its own.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    RabbitMqOptions opt;
    opt.amqp_port = free_port();
    opt.mqtt_port = free_port();
    opt.data_dir = dir_.path() + "/node-" + std::to_string(attempt);
    try {
      server_ = std::make_unique<RabbitMqServer>(opt);
      return;
    } catch (const std::runtime_error& e) {
      const bool port_taken = std::string_view(e.what()).find("eaddrinuse") != std::string::npos;
      if (!port_taken || attempt == kAttempts) throw;
    }
  }
}

RabbitMq& shared_rabbitmq() {
  static RabbitMq node;  // the one shared fixture of a test process
  return node;
}

int amqp_publish(const std::string& url, const std::string& exchange,
                 const std::string& routing_key, const std::string& payload,
                 const std::map<std::string, std::string>& headers) {
  std::vector<std::string> argv = {"amqp-publish", "--url=" + url, "-e", exchange,
                                   "-r",           routing_key,    "-b", payload};
  for (const auto& [key, value] : headers) {
    argv.push_back("-H");
    argv.push_back(key + ": " + value);
  }
  ChildProcess pub(argv, ChildProcess::Options{{}, "", "", false});
  if (!pub.wait_for(10s)) return -1;
  const auto status = pub.exit_status();
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

std::string built_program(const std::string& name) {
  return (fs::path(SNET_BINARY_DIR) / name).string();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string source_path(const std::string& relative) {
  return (fs::path(SNET_SOURCE_DIR) / relative).string();
}

Service::Service(const std::string& program, std::vector<std::string> args,
                 std::map<std::string, std::string> env) {
  log_path_ = dir_.path() + "/output.log";
  args.insert(args.begin(), built_program(program));
  process_ = ChildProcess(std::move(args),
                          ChildProcess::Options{std::move(env), log_path_, "=stdout", true});
}

std::string Service::log() const {
  return read_text(log_path_);
}

Recorder::Recorder(const std::string& url, std::vector<std::string> filters) {
  BusOptions opt;
  opt.url = url;
  bus_ = make_bus(opt);
  bus_->on_message([this](const Message& m) {
    {
      std::lock_guard lock(mutex_);
      messages_.push_back(m);
    }
    cv_.notify_all();
  });
  for (const auto& f : filters) bus_->subscribe(f, Qos::at_least_once);
  bus_->start();
  if (!bus_->wait_connected(10s)) throw std::runtime_error("recorder could not connect to " + url);
}

Recorder::~Recorder() {
  bus_->stop();
}

bool Recorder::wait(const std::function<bool(const std::vector<Message>&)>& pred,
                    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return pred(messages_); });
}

std::optional<Message> Recorder::wait_for(const std::string& topic, const std::string& needle,
                                          std::chrono::milliseconds timeout) {
  std::optional<Message> found;
  wait(
      [&](const std::vector<Message>& all) {
        for (auto it = all.rbegin(); it != all.rend(); ++it) {
          if (it->topic == topic && it->payload.find(needle) != std::string::npos) {
            found = *it;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

std::vector<Message> Recorder::messages() {
  std::lock_guard lock(mutex_);
  return messages_;
}

int mosquitto_pub(int port, const std::string& topic, const std::string& payload,
                  bool null_message) {
  std::vector<std::string> argv = {
      "mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-q", "1", "-t", topic};
  if (null_message) {
    argv.push_back("-n");
  } else {
    argv.push_back("-m");
    argv.push_back(payload);
  }
  ChildProcess pub(argv, ChildProcess::Options{{}, "", "", false});
  if (!pub.wait_for(10s)) return -1;
  const auto status = pub.exit_status();
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

std::pair<int, std::string> mosquitto_pub_tls(int port, const std::string& ca_file,
                                              const std::string& topic,
                                              const std::string& payload) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  ChildProcess pub({"mosquitto_pub", "--cafile", ca_file, "-h", "127.0.0.1", "-p",
                    std::to_string(port), "-q", "1", "-t", topic, "-m", payload},
                   ChildProcess::Options{{}, out, "=stdout", false});
  if (!pub.wait_for(10s)) return {-1, read_text(out)};
  const auto status = pub.exit_status();
  return {status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, read_text(out)};
}

HttpResult http_request(const std::string& method, int port, const std::string& target,
                        const std::string& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  std::ostringstream req;
  req << method << ' ' << target << " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req << "Content-Type: application/json\r\nContent-Length: " << body.size() << "\r\n";
  }
  req << "\r\n" << body;
  const std::string out = req.str();
  if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) return {};
  std::string response;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<size_t>(n));
  HttpResult result;
  if (response.size() < 12) return result;
  result.status = std::atoi(response.c_str() + 9);
  const auto header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos) return result;
  std::string raw = response.substr(header_end + 4);
  // Beast may answer with chunked encoding; undo it.
  if (response.substr(0, header_end).find("chunked") != std::string::npos) {
    std::string decoded;
    std::size_t pos = 0;
    while (pos < raw.size()) {
      const auto line_end = raw.find("\r\n", pos);
      if (line_end == std::string::npos) break;
      const std::size_t len = std::stoul(raw.substr(pos, line_end - pos), nullptr, 16);
      if (len == 0) break;
      decoded += raw.substr(line_end + 2, len);
      pos = line_end + 2 + len + 2;
    }
    raw = decoded;
  }
  result.body = std::move(raw);
  return result;
}

bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!probe()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace snet::test
