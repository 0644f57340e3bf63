#include "snet/socket_placement.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "snet/atomic_file.hpp"

namespace snet {
namespace {

[[noreturn]] void fail(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

// Creates the socket in the calling thread's namespace and binds it.
int make_socket(const SocketPlacement& placement, bool ipv6) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(errno, "socket in " + placement.netns);
  if (!placement.source_address.empty()) {
    sockaddr_storage address{};
    socklen_t length = 0;
    if (ipv6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      in6->sin6_family = AF_INET6;
      length = sizeof *in6;
      if (::inet_pton(AF_INET6, placement.source_address.c_str(), &in6->sin6_addr) != 1) {
        ::close(fd);
        fail(EINVAL, "'" + placement.source_address + "' is not an IPv6 address");
      }
    } else {
      auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
      in4->sin_family = AF_INET;
      length = sizeof *in4;
      if (::inet_pton(AF_INET, placement.source_address.c_str(), &in4->sin_addr) != 1) {
        ::close(fd);
        fail(EINVAL, "'" + placement.source_address + "' is not an IPv4 address");
      }
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      const int error = errno;
      ::close(fd);
      fail(error, "bind to " + placement.source_address +
                      (placement.netns.empty() ? "" : " in " + placement.netns));
    }
  }
  return fd;
}

// One thread living in one namespace, making sockets there on request.
class NamespaceWorker {
 public:
  explicit NamespaceWorker(std::string netns) : netns_(std::move(netns)) {
    std::promise<int> entered;
    auto result = entered.get_future();
    thread_ = std::thread([this, entered = std::move(entered)]() mutable {
      try {
        enter_network_namespace(netns_);
        entered.set_value(0);
      } catch (const std::system_error& e) {
        entered.set_value(e.code().value());
        return;
      }
      serve();
    });
    entry_error_ = result.get();
  }
  ~NamespaceWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  NamespaceWorker(const NamespaceWorker&) = delete;
  NamespaceWorker& operator=(const NamespaceWorker&) = delete;

  int open(const SocketPlacement& placement, bool ipv6) {
    if (entry_error_ != 0) fail(entry_error_, "cannot enter network namespace " + netns_);
    std::packaged_task<int()> task([placement, ipv6] { return make_socket(placement, ipv6); });
    auto fd = task.get_future();
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return fd.get();  // rethrows make_socket's error
  }

 private:
  void serve() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::string netns_;
  int entry_error_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<int()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

// The process's namespace workers, one per namespace, made on first use. Process-wide by
// nature: a thread that entered a namespace serves every bus placed there.
class NamespaceWorkers {
 public:
  NamespaceWorker& of(const std::string& netns) {
    std::lock_guard lock(mutex_);
    auto& worker = workers_[netns];
    if (!worker) worker = std::make_unique<NamespaceWorker>(netns);
    return *worker;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<NamespaceWorker>> workers_;
};

NamespaceWorkers& workers() {
  static NamespaceWorkers instance;
  return instance;
}

}  // namespace

int open_placed_socket(const SocketPlacement& placement, bool ipv6) {
  if (placement.netns.empty()) return make_socket(placement, ipv6);
  return workers().of(placement.netns).open(placement, ipv6);
}

void enter_network_namespace(const std::string& netns) {
  const int fd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(errno, "cannot open network namespace " + netns);
  const int rc = ::setns(fd, CLONE_NEWNET);
  const int error = errno;
  ::close(fd);
  if (rc != 0) fail(error, "cannot enter network namespace " + netns);
}

DevicePlacements read_device_placements(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read device placements " + path);
  try {
    const auto doc = nlohmann::json::parse(in);
    DevicePlacements placements;
    placements.broker_host = doc.at("broker_host").get<std::string>();
    for (const auto& [id, entry] : doc.at("devices").items()) {
      placements.devices[id] = {entry.at("netns").get<std::string>(),
                                entry.at("address").get<std::string>()};
    }
    return placements;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("device placements " + path + ": " + e.what());
  }
}

void write_device_placements(const std::string& path, const DevicePlacements& placements) {
  nlohmann::json doc = {{"broker_host", placements.broker_host},
                        {"devices", nlohmann::json::object()}};
  for (const auto& [id, placement] : placements.devices) {
    doc["devices"][id] = {{"netns", placement.netns}, {"address", placement.source_address}};
  }
  write_file_atomically(path, doc.dump(1) + "\n");
}

}  // namespace snet
