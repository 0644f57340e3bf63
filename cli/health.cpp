#include "health.hpp"

#include <curl/curl.h>

#include "snet/topics.hpp"

namespace snet::cli {

StatusWatch::StatusWatch(const std::string& broker_url, const std::string& topology, Micros since)
    : since_(since) {
  BusOptions options;
  options.url = broker_url;
  options.log_connection_changes = false;  // the supervisor reports the broker's deaths itself
  bus_ = make_bus(options);
  bus_->on_message([this](const Message& message) {
    const auto topic = topics::parse(message.topic);
    if (!topic || topic->kind != topics::Kind::status) return;
    try {
      ServiceStatus status = parse_status(message.payload);
      std::lock_guard lock(mutex_);
      latest_[topic->device] = std::move(status);
    } catch (const BadMessage&) {
      // Not a status we can read: the service stays "not online".
    }
  });
  bus_->subscribe(topics::all(topology, topics::Kind::status), Qos::at_least_once);
  bus_->start();
}

StatusWatch::~StatusWatch() {
  bus_->stop();
}

std::vector<std::string> StatusWatch::not_online(const std::vector<std::string>& wanted) {
  std::vector<std::string> out;
  if (!bus_->connected()) {
    out.push_back("broker (not reachable)");
    return out;
  }
  std::lock_guard lock(mutex_);
  for (const auto& service : wanted) {
    auto it = latest_.find(service);
    if (it == latest_.end() || it->second.ts < since_) {
      out.push_back(service + " (no status published yet)");
    } else if (!it->second.online) {
      out.push_back(service + " (reports offline)");
    }
  }
  return out;
}

bool StatusWatch::online_since(const std::string& service, Micros since) {
  std::lock_guard lock(mutex_);
  auto it = latest_.find(service);
  return it != latest_.end() && it->second.online && it->second.ts >= since;
}

bool http_ok(const std::string& host, int port, const std::string& path,
             std::chrono::milliseconds timeout) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return false;
  const std::string url = "http://" + host + ":" + std::to_string(port) + path;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(
      curl.get(), CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t count, void*) { return size * count; });
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
  if (curl_easy_perform(curl.get()) != CURLE_OK) return false;
  long code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  return code == 200;
}

}  // namespace snet::cli
