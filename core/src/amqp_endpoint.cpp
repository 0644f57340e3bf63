#include "amqp_endpoint.hpp"

#include <stdexcept>

#include "snet/net.hpp"

namespace snet::detail {
namespace {

std::string percent_decoded(const std::string& text, const std::string& url) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      throw std::invalid_argument("AMQP URL '" + redacted_url(url) +
                                  "': incomplete %-escape in its user, password or vhost");
    }
    const std::string hex = text.substr(i + 1, 2);
    std::size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(hex, &used, 16);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != 2) {
      throw std::invalid_argument("AMQP URL '" + redacted_url(url) +
                                  "': bad %-escape in its user, password or vhost");
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

int heartbeat_seconds(const std::string& value, const std::string& url) {
  try {
    std::size_t used = 0;
    const int seconds = std::stoi(value, &used);
    if (used == value.size() && seconds >= 0 && seconds <= 65535) return seconds;
  } catch (const std::exception&) {
    // reported below
  }
  throw std::invalid_argument("AMQP URL '" + redacted_url(url) + "': heartbeat '" + value +
                              "' is not a number of seconds 0-65535");
}

bool yes_or_no(const std::string& key, const std::string& value, const std::string& url) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  throw std::invalid_argument("AMQP URL '" + redacted_url(url) + "': " + key + " '" + value +
                              "' is not true/false");
}

}  // namespace

AmqpEndpoint parse_amqp_url(const std::string& url, std::chrono::seconds default_heartbeat) {
  std::string base = url, query;
  if (const auto mark = url.find('?'); mark != std::string::npos) {
    base = url.substr(0, mark);
    query = url.substr(mark + 1);
  }
  const bool tls = base.rfind("amqps://", 0) == 0;
  const HostPort parts = parse_url(base, tls ? 5671 : 5672);
  if (parts.scheme != "amqp" && parts.scheme != "amqps") {
    throw std::invalid_argument("AMQP URL '" + redacted_url(url) +
                                "': scheme must be amqp:// or amqps://");
  }
  AmqpEndpoint out;
  out.tls = tls;
  out.host = parts.host;
  out.port = parts.port;
  out.hosts = parts.endpoints;
  if (!parts.user.empty()) out.user = percent_decoded(parts.user, url);
  if (!parts.user.empty()) out.password = percent_decoded(parts.password, url);
  if (parts.path.size() > 1) out.vhost = percent_decoded(parts.path.substr(1), url);
  out.heartbeat = default_heartbeat;
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string item = query.substr(start, end - start);
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (key == "heartbeat") {
      out.heartbeat = std::chrono::seconds(heartbeat_seconds(value, url));
    } else if (key == "persistent") {
      out.persistent = yes_or_no(key, value, url);
    } else if (key == "queue-type") {
      if (value != "quorum" && value != "classic") {
        throw std::invalid_argument("AMQP URL '" + redacted_url(url) + "': queue-type '" + value +
                                    "' is neither classic nor quorum");
      }
      out.quorum_queues = value == "quorum";
    } else if (!key.empty()) {
      throw std::invalid_argument("AMQP URL '" + redacted_url(url) + "': unknown option '" + key +
                                  "' (supported: heartbeat, persistent, queue-type)");
    }
    start = end + 1;
  }
  return out;
}

}  // namespace snet::detail
