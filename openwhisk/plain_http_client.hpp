// The OpenWhisk compute's client for plain http:// API hosts (the bundled snet-whisk, mostly
// on loopback): keep-alive HTTP/1.1 connections driven by the engine's own epoll loop.
//
// Why not libcurl here: perf showed curl's per-request bookkeeping (handle setup, timers,
// socket callbacks, header parsing) at ~75 us CPU per press against ~25 us for the builtin
// compute; this client writes a prebuilt request with one send() and parses the answer with
// Beast's parser from one recv(). https:// stays on curl (TLS, --openwhisk-insecure), so an
// external OpenWhisk sees exactly the client it saw before.
//
// One request at a time per connection (snet-whisk's server answers a connection's requests in
// order, one by one, so pipelining would only queue them); the engine keeps at most
// `max_connections` requests open, so a request never waits for a connection.
//
// Not thread safe: every call comes from the engine's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace snet::openwhisk {

struct PlainHttpAnswer {
  void* tag = nullptr;  // as given to send()
  bool transport_ok = false;
  bool timed_out = false;  // the request's deadline passed without an answer
  std::string error;       // what went wrong when !transport_ok
  long status = 0;
  std::string body;
};

class PlainHttpClient {
 public:
  using Clock = std::chrono::steady_clock;

  /// `apihost` is http://host[:port][/prefix]; `auth` is "uuid:key" (sent as Basic auth).
  /// Sockets are registered with `epoll_fd`; the caller hands their events to on_event().
  /// Throws std::invalid_argument naming a malformed apihost.
  PlainHttpClient(const std::string& apihost, const std::string& auth, int epoll_fd);
  ~PlainHttpClient();
  PlainHttpClient(const PlainHttpClient&) = delete;
  PlainHttpClient& operator=(const PlainHttpClient&) = delete;

  /// True for an http:// apihost (what this client serves).
  static bool serves(std::string_view apihost);

  /// Starts a request for `target` (a full URL on this apihost, or a path). A GET when `body`
  /// is null, else a POST of that JSON. The answer comes out of take_answers() with `tag`.
  void send(void* tag, const std::string& target, const std::string* body,
            Clock::time_point deadline, std::chrono::milliseconds connect_timeout);
  /// Whether `fd` is one of this client's sockets.
  bool owns(int fd) const { return by_fd_.count(fd) != 0; }
  void on_event(int fd, std::uint32_t events);
  /// Fails requests whose deadline (or connect timeout) has passed.
  void expire(Clock::time_point now);
  /// The earliest deadline of an open request, or Clock::time_point::max().
  Clock::time_point next_deadline() const;
  /// Answers completed since the last call.
  std::vector<PlainHttpAnswer>& answers() { return answers_; }
  /// Drops every connection; their requests are forgotten (the caller owns them).
  void close_all();

 private:
  struct Connection;
  using ConnectionPtr = std::unique_ptr<Connection>;

  int open(std::string& error);
  Connection* fresh_connection(std::chrono::milliseconds connect_timeout, std::string& error);
  void assign(Connection& c, void* tag, std::string out, Clock::time_point deadline,
              std::chrono::milliseconds connect_timeout);
  void flush(Connection& c);
  void read(Connection& c);
  void complete(Connection& c, PlainHttpAnswer answer, bool keep);
  void fail(Connection& c, std::string error, bool timed_out = false);
  void drop(Connection& c);
  void watch(Connection& c, bool want_write);

  std::string host_;  // as written in the URL (Host header)
  std::string name_;  // host name to resolve
  std::string port_;
  std::string authority_;    // scheme://host:port, stripped from targets
  std::string header_tail_;  // Host, Authorization, Accept lines
  int epoll_fd_;
  std::vector<Connection*> idle_;                 // connected, no request: reused first
  std::unordered_map<int, ConnectionPtr> by_fd_;  // every open connection by socket
  std::vector<PlainHttpAnswer> answers_;
};

}  // namespace snet::openwhisk
