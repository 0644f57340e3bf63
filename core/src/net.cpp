#include "snet/net.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace snet {
namespace {

// A socket descriptor closed on scope exit.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Whether 127.0.0.1:`port` can be bound right now.
bool bindable(int port) {
  Socket sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  return ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

// The first port of the kernel's ephemeral range (outgoing connections' local ports).
int ephemeral_low() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  range >> low;
  return low;
}

}  // namespace

int free_port() {
  // A port from the ephemeral range may be taken by any process's next outgoing connection
  // between now and when the caller binds it (seen: a restarted RabbitMQ node found its
  // distribution port used so). Below that range only a listener can take it.
  constexpr int kLowest = 10000;
  const int below = ephemeral_low();
  if (below - kLowest >= 1000) {
    const auto band = static_cast<unsigned>(below - kLowest);
    // One cursor per process walks the band from a random start, so two calls in one process
    // never hand out the same port before the caller binds it (independent random picks once
    // gave a test's broker and its HTTP server the same port); other processes start elsewhere.
    static std::atomic<unsigned> cursor{std::random_device{}()};
    for (int attempt = 0; attempt < 200; ++attempt) {
      const int candidate = kLowest + static_cast<int>(cursor.fetch_add(1) % band);
      if (bindable(candidate)) return candidate;
    }
  }
  Socket sock(::socket(AF_INET, SOCK_STREAM, 0));
  if (sock.get() < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind 127.0.0.1:0");
  }
  socklen_t len = sizeof addr;
  ::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

bool wait_for_port(const std::string& host, int port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  while (true) {
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) == 0) {
      bool ok = false;
      for (addrinfo* ai = found; ai != nullptr && !ok; ai = ai->ai_next) {
        Socket sock(::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol));
        ok = sock.get() >= 0 && ::connect(sock.get(), ai->ai_addr, ai->ai_addrlen) == 0;
      }
      ::freeaddrinfo(found);
      if (ok) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a port: no event exists
  }
}

std::string redacted_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto authority_start = scheme + 3;
  const auto authority_end = std::min(url.find_first_of("/?#", authority_start), url.size());
  // The last '@' of the authority ends the user info: an unencoded '@' in a password stays hidden.
  const auto at = url.rfind('@', authority_end - 1);
  if (at == std::string::npos || at < authority_start) return url;
  const auto colon = url.find(':', authority_start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

namespace {

// One host[:port] or [v6]:port of a URL's authority.
HostPort::Endpoint parse_endpoint(const std::string& url, const std::string& text,
                                  int default_port) {
  HostPort::Endpoint out{{}, default_port};
  std::string port_text;
  if (!text.empty() && text.front() == '[') {  // [::1]:port
    const auto close = text.find(']');
    if (close == std::string::npos)
      throw std::invalid_argument("URL '" + redacted_url(url) + "': bad IPv6 host");
    out.host = text.substr(1, close - 1);
    if (close + 1 < text.size() && text[close + 1] == ':') port_text = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
    out.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  } else {
    out.host = text;
  }
  if (out.host.empty()) throw std::invalid_argument("URL '" + redacted_url(url) + "' has no host");
  if (!port_text.empty()) {
    try {
      std::size_t used = 0;
      out.port = std::stoi(port_text, &used);
      if (used != port_text.size() || out.port < 1 || out.port > 65535) throw std::out_of_range("");
    } catch (const std::exception&) {
      throw std::invalid_argument("URL '" + redacted_url(url) + "': port '" + port_text +
                                  "' is not 1-65535");
    }
  }
  return out;
}

}  // namespace

HostPort parse_url(const std::string& url, int default_port) {
  HostPort out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0) {
    throw std::invalid_argument("URL '" + redacted_url(url) +
                                "' has no scheme (like mqtt://127.0.0.1:1883)");
  }
  out.scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    out.path = rest.substr(slash);
    rest.resize(slash);
  }
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    const std::string cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = cred.find(':');
    out.user = cred.substr(0, colon);
    if (colon != std::string::npos) out.password = cred.substr(colon + 1);
  }
  // Splits on ',' outside brackets: "[::1]:1,h:2" is two hosts.
  std::size_t begin = 0;
  while (begin <= rest.size()) {
    std::size_t end = begin;
    for (int depth = 0; end < rest.size() && (depth > 0 || rest[end] != ','); ++end) {
      depth += rest[end] == '[' ? 1 : rest[end] == ']' ? -1 : 0;
    }
    out.endpoints.push_back(parse_endpoint(url, rest.substr(begin, end - begin), default_port));
    begin = end + 1;
  }
  out.host = out.endpoints.front().host;
  out.port = out.endpoints.front().port;
  return out;
}

}  // namespace snet
