#include "plain_http_client.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace snet::openwhisk {
namespace {

namespace bhttp = boost::beast::http;
namespace base64 = boost::beast::detail::base64;

constexpr std::string_view kScheme = "http://";
// An action's answer is bounded by OpenWhisk's result limit (1 MB by default); allow headroom.
constexpr std::uint64_t kBodyLimit = 64ull << 20;

std::string basic_auth(const std::string& auth) {
  std::string out(base64::encoded_size(auth.size()), '\0');
  out.resize(base64::encode(out.data(), auth.data(), auth.size()));
  return out;
}

}  // namespace

struct PlainHttpClient::Connection {
  int fd = -1;
  bool connecting = false;
  bool reused = false;  // answered before: the server may have closed it while it was idle
  bool watching_write = false;
  void* tag = nullptr;  // the open request's, null when idle
  Clock::time_point deadline{};
  Clock::time_point connect_deadline{};
  std::chrono::milliseconds connect_timeout{};
  std::string out;  // the request, kept until answered (resent once if a reused one was stale)
  std::size_t sent = 0;
  std::string in;  // received bytes the parser has not consumed yet
  bool got_bytes = false;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
};

bool PlainHttpClient::serves(std::string_view apihost) {
  return apihost.substr(0, kScheme.size()) == kScheme;
}

PlainHttpClient::PlainHttpClient(const std::string& apihost, const std::string& auth, int epoll_fd)
    : epoll_fd_(epoll_fd) {
  if (!serves(apihost)) throw std::invalid_argument("not an http:// API host: " + apihost);
  const std::string rest = apihost.substr(kScheme.size());
  host_ = rest.substr(0, rest.find('/'));
  authority_ = std::string(kScheme) + host_;
  if (host_.empty()) throw std::invalid_argument("no host in API host " + apihost);
  std::string hostport = host_;
  if (hostport.front() == '[') {  // [v6 literal]:port
    const auto close = hostport.find(']');
    if (close == std::string::npos) throw std::invalid_argument("bad API host " + apihost);
    name_ = hostport.substr(1, close - 1);
    hostport = hostport.substr(close + 1);
    port_ = hostport.empty() ? "80" : hostport.substr(1);
  } else {
    const auto colon = hostport.rfind(':');
    name_ = hostport.substr(0, colon);
    port_ = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
  }
  header_tail_ = "Host: " + host_ + "\r\nAuthorization: Basic " + basic_auth(auth) +
                 "\r\nAccept: application/json\r\n";
}

PlainHttpClient::~PlainHttpClient() {
  close_all();
}

void PlainHttpClient::close_all() {
  for (auto& [fd, c] : by_fd_) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
  }
  by_fd_.clear();
  idle_.clear();
}

// A non-blocking socket connecting to the API host; IPv4 addresses first ("localhost" may
// resolve to ::1 first while snet-whisk listens on 127.0.0.1).
int PlainHttpClient::open(std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(name_.c_str(), port_.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve " + name_ + ": " + ::gai_strerror(rc);
    return -1;
  }
  std::vector<addrinfo*> candidates;
  for (addrinfo* a = found; a; a = a->ai_next) candidates.push_back(a);
  std::stable_partition(candidates.begin(), candidates.end(),
                        [](addrinfo* a) { return a->ai_family == AF_INET; });
  int fd = -1;
  error = "no address for " + name_;
  for (addrinfo* a : candidates) {
    fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) break;
    error = "connect to " + host_ + ": " + std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  return fd;
}

void PlainHttpClient::send(void* tag, const std::string& target, const std::string* body,
                           Clock::time_point deadline, std::chrono::milliseconds connect_timeout) {
  const std::string_view path = std::string_view(target).substr(0, authority_.size()) == authority_
                                    ? std::string_view(target).substr(authority_.size())
                                    : std::string_view(target);
  std::string out;
  out.reserve(path.size() + header_tail_.size() + (body ? body->size() + 64 : 16) + 16);
  out += body ? "POST " : "GET ";
  out += path;
  out += " HTTP/1.1\r\n";
  out += header_tail_;
  if (body) {
    out += "Content-Type: application/json\r\nContent-Length: ";
    out += std::to_string(body->size());
    out += "\r\n\r\n";
    out += *body;
  } else {
    out += "\r\n";
  }

  Connection* c = nullptr;
  if (!idle_.empty()) {
    c = idle_.back();
    idle_.pop_back();
  } else {
    std::string error;
    c = fresh_connection(connect_timeout, error);
    if (!c) {
      answers_.push_back(PlainHttpAnswer{tag, false, false, std::move(error), 0, {}});
      return;
    }
  }
  assign(*c, tag, std::move(out), deadline, connect_timeout);
}

PlainHttpClient::Connection* PlainHttpClient::fresh_connection(
    std::chrono::milliseconds connect_timeout, std::string& error) {
  const int fd = open(error);
  if (fd < 0) return nullptr;
  auto owned = std::make_unique<Connection>();
  Connection* c = owned.get();
  c->fd = fd;
  c->connecting = true;
  c->connect_deadline = Clock::now() + connect_timeout;
  c->watching_write = true;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.fd = fd;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  by_fd_.emplace(fd, std::move(owned));
  return c;
}

void PlainHttpClient::assign(Connection& c, void* tag, std::string out, Clock::time_point deadline,
                             std::chrono::milliseconds connect_timeout) {
  c.tag = tag;
  c.deadline = deadline;
  c.connect_timeout = connect_timeout;
  c.out = std::move(out);
  c.sent = 0;
  c.in.clear();
  c.got_bytes = false;
  c.parser.emplace();
  c.parser->eager(true);
  c.parser->body_limit(kBodyLimit);
  if (!c.connecting) flush(c);
}

void PlainHttpClient::watch(Connection& c, bool want_write) {
  if (c.watching_write == want_write) return;
  c.watching_write = want_write;
  epoll_event ev{};
  ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
  ev.data.fd = c.fd;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void PlainHttpClient::flush(Connection& c) {
  while (c.sent < c.out.size()) {
    const auto n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return watch(c, true);
    if (n < 0 && errno == EINTR) continue;
    return fail(c, "send to " + host_ + ": " + std::strerror(errno));
  }
  watch(c, false);
}

void PlainHttpClient::on_event(int fd, std::uint32_t events) {
  const auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return;
  Connection& c = *it->second;
  if (c.connecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(c, "connect to " + host_ + ": " + std::strerror(err));
    c.connecting = false;
    if (!c.tag) return watch(c, false);
    flush(c);
    return;  // the answer comes with a later event
  }
  if ((events & EPOLLOUT) && c.tag && c.sent < c.out.size()) {
    flush(c);
    if (by_fd_.count(fd) == 0) return;  // failed and dropped
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read(c);
}

void PlainHttpClient::read(Connection& c) {
  char buffer[65536];
  while (true) {
    const auto n = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      const std::string why = n == 0 ? "connection closed" : std::strerror(errno);
      if (!c.tag) return drop(c);  // the server closed an idle keep-alive connection
      if (n == 0 && c.parser->is_header_done() && c.parser->need_eof()) {
        boost::beast::error_code ec;
        c.parser->put_eof(ec);
        if (!ec) {
          auto& res = c.parser->get();
          PlainHttpAnswer a{
              c.tag, true, false, {}, static_cast<long>(res.result_int()), std::move(res.body())};
          return complete(c, std::move(a), false);
        }
      }
      if (!c.got_bytes && c.reused) {
        // A keep-alive connection the server had already closed: resend once, on a new one.
        void* tag = c.tag;
        std::string out = std::move(c.out);
        const auto deadline = c.deadline;
        const auto connect_timeout = c.connect_timeout;
        c.tag = nullptr;
        drop(c);
        std::string error;
        Connection* fresh = fresh_connection(connect_timeout, error);
        if (!fresh) {
          answers_.push_back(PlainHttpAnswer{tag, false, false, std::move(error), 0, {}});
          return;
        }
        assign(*fresh, tag, std::move(out), deadline, connect_timeout);
        return;
      }
      return fail(c, why + " by " + host_ + " before the answer was complete");
    }
    if (!c.tag) return drop(c);  // bytes nobody asked for: the connection is out of step
    c.got_bytes = true;
    c.in.append(buffer, static_cast<std::size_t>(n));
    std::size_t offset = 0;
    while (offset < c.in.size()) {
      boost::beast::error_code ec;
      const auto used =
          c.parser->put(boost::asio::buffer(c.in.data() + offset, c.in.size() - offset), ec);
      offset += used;
      if (ec == bhttp::error::need_more) break;
      if (ec) return fail(c, "malformed HTTP answer from " + host_ + ": " + ec.message());
      if (c.parser->is_done()) {
        auto& res = c.parser->get();
        const bool keep = res.keep_alive() && offset == c.in.size();
        PlainHttpAnswer a{
            c.tag, true, false, {}, static_cast<long>(res.result_int()), std::move(res.body())};
        return complete(c, std::move(a), keep);
      }
      if (used == 0) break;
    }
    c.in.erase(0, offset);
  }
}

void PlainHttpClient::complete(Connection& c, PlainHttpAnswer answer, bool keep) {
  answers_.push_back(std::move(answer));
  c.tag = nullptr;
  c.reused = true;
  c.in.clear();
  c.out.clear();
  if (keep) {
    idle_.push_back(&c);
  } else {
    drop(c);
  }
}

void PlainHttpClient::fail(Connection& c, std::string error, bool timed_out) {
  if (c.tag) {
    answers_.push_back(PlainHttpAnswer{c.tag, false, timed_out, std::move(error), 0, {}});
    c.tag = nullptr;
  }
  drop(c);
}

void PlainHttpClient::drop(Connection& c) {
  const int fd = c.fd;
  std::erase(idle_, &c);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
  by_fd_.erase(fd);  // destroys c
}

void PlainHttpClient::expire(Clock::time_point now) {
  std::vector<std::pair<int, bool>> due;  // fd, timed out (else: connect timeout)
  for (const auto& [fd, c] : by_fd_) {
    if (!c->tag) continue;
    if (now >= c->deadline) {
      due.emplace_back(fd, true);
    } else if (c->connecting && now >= c->connect_deadline) {
      due.emplace_back(fd, false);
    }
  }
  for (const auto& [fd, timed_out] : due) {
    Connection& c = *by_fd_.at(fd);
    if (timed_out) {
      fail(c, "no answer from " + host_ + " in time", true);
    } else {
      fail(c, "connect to " + host_ + " timed out after " +
                  std::to_string(c.connect_timeout.count()) + " ms");
    }
  }
}

PlainHttpClient::Clock::time_point PlainHttpClient::next_deadline() const {
  auto next = Clock::time_point::max();
  for (const auto& [fd, c] : by_fd_) {
    if (!c->tag) continue;
    next = std::min(next, c->deadline);
    if (c->connecting) next = std::min(next, c->connect_deadline);
  }
  return next;
}

}  // namespace snet::openwhisk
