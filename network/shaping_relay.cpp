#include "shaping_relay.hpp"

#include <netinet/in.h>

#include <array>
#include <future>
#include <list>
#include <optional>
#include <set>
#include <thread>
#include <unordered_set>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "snet/log.hpp"

namespace snet::network {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::size_t kReadBytes = 64 << 10;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// After one side's close has been passed on, how long the other may take to close too.
constexpr auto kLinger = std::chrono::seconds(10);

// A piece of one direction's byte stream (at most one segment), and when it leaves the path.
struct Segment {
  std::string bytes;
  TimePoint release{};
  bool planned = false;  // false: waiting for the path to be up
  bool counted = false;  // its traffic is in the counters already
};

struct PathInfo {
  std::string device;
  LinkShaper::Path links;
  std::vector<tcp::endpoint> brokers;          // a cluster's nodes, in the device URL's order
  std::optional<asio::ip::address_v4> source;  // where the broker connection leaves from
  // The node the path's next connection tries first: it moves on as a client's own failover
  // would (relay thread only; the path is shared by its connections, not between threads).
  mutable std::size_t node = 0;
  const tcp::endpoint& broker() const { return brokers[node]; }
  void next_node() const { node = (node + 1) % brokers.size(); }
};

// The port is picked at connect(), where a port other connections have (to other destinations
// or from other addresses) may be shared; bind() would take one of its own.
using BindAddressNoPort = asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;

}  // namespace

class Connection;

struct ShapingRelay::Impl {
  Impl(const std::map<std::string, LinkSpec>& links, RelayOptions relay_options)
      : options(std::move(relay_options)), shaper(links) {}

  RelayOptions options;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  LinkShaper shaper;  // relay thread only, as everything below
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::uint16_t port = 0;         // every listener's, once the first has one
  std::set<std::uint16_t> ports;  // the listeners' (more than `port`: some address had it)
  std::unordered_set<std::shared_ptr<Connection>> connections;
  std::array<char, kReadBytes> read_buffer{};  // every read, one at a time
  std::thread thread;                          // last: starts once the rest exists

  void accept(tcp::acceptor& acceptor, std::shared_ptr<const PathInfo> path);
  std::unique_ptr<tcp::acceptor> listen(const asio::ip::address_v4& address);
  void path_changed(LinkShaper::LinkIndex link);

  // Runs `fn` on the relay thread and returns its result.
  template <typename Fn>
  auto on_relay_thread(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }
};

// One relayed connection: the device's socket (client) and the broker's (upstream), one
// direction each way. Lives while a handler or Impl::connections holds it; relay thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ShapingRelay::Impl& relay, std::shared_ptr<const PathInfo> path, tcp::socket client)
      : relay_(relay),
        path_(std::move(path)),
        client_(std::move(client)),
        upstream_(relay.io),
        linger_(relay.io),
        pipes_{Pipe(relay.io, Direction::up), Pipe(relay.io, Direction::down)} {}

  const LinkShaper::Path& links() const { return path_->links; }

  void start() {
    relay_.shaper.connection_opened(links());
    error_code ignored;
    client_.set_option(tcp::no_delay(true), ignored);
    client_.non_blocking(true, ignored);
    read(pipe(Direction::up));
    if (relay_.shaper.up(links())) connect_upstream(path_->brokers.size());
  }

  // A link of the path changed: hold everything on a cut, send it again once up.
  void path_changed() {
    if (closed_) return;
    if (!relay_.shaper.up(links())) {
      for (Pipe& p : pipes_) {
        for (Segment& s : p.queue) s.planned = false;
        p.last_release = {};
        p.timer.cancel();
      }
      if (!upstream_started_ && pipe(Direction::up).ended) close();  // gave up before reaching
      return;
    }
    for (Pipe& p : pipes_) plan(p, Clock::now());
    if (!upstream_started_) connect_upstream(path_->brokers.size());
    for (Pipe& p : pipes_) pump(p);
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
    linger_.cancel();
    for (Pipe& p : pipes_) p.timer.cancel();
    relay_.shaper.connection_closed(links());
    relay_.connections.erase(shared_from_this());
  }

 private:
  struct Pipe {
    Pipe(asio::io_context& io, Direction d) : direction(d), timer(io) {}
    Direction direction;
    std::list<Segment> queue;  // not a deque: libstdc++'s allocates 576 bytes while empty
    std::size_t held_bytes = 0;
    TimePoint last_release{};
    asio::steady_timer timer;
    std::string writing;  // bytes being written
    bool paused = false;  // stopped reading: too much held
    bool ended = false;   // its source closed: pass the close on once drained
    bool done = false;    // the close is passed on, or the sink is dead: nothing more to send
  };

  Pipe& pipe(Direction d) { return pipes_[static_cast<std::size_t>(d)]; }
  tcp::socket& source(const Pipe& p) { return p.direction == Direction::up ? client_ : upstream_; }
  tcp::socket& sink(const Pipe& p) { return p.direction == Direction::up ? upstream_ : client_; }
  bool sink_ready(const Pipe& p) const {
    return p.direction == Direction::down || upstream_connected_;
  }

  // Tries the path's current node, then each next one until `tries` run out.
  void connect_upstream(std::size_t tries) {
    upstream_started_ = true;
    try {
      if (relay_.options.upstream_socket) {
        upstream_ = relay_.options.upstream_socket(relay_.io, path_->device, path_->broker());
      } else {
        upstream_ = tcp::socket(relay_.io);
      }
      if (!relay_.options.upstream_socket && path_->source) {
        upstream_.open(tcp::v4());
        upstream_.set_option(BindAddressNoPort(true));
        upstream_.bind(tcp::endpoint(*path_->source, 0));
      }
    } catch (const std::exception& e) {
      log::warn("link relay: ", path_->device, ": no upstream socket: ", e.what());
      return close();
    }
    upstream_.async_connect(
        path_->broker(), [self = shared_from_this(), tries](const error_code& ec) {
          if (self->closed_) return;
          if (ec) {
            log::debug("link relay: ", self->path_->device, ": broker ",
                       self->path_->broker().address().to_string(), ":",
                       self->path_->broker().port(), " unreachable: ", ec.message());
            self->path_->next_node();
            // A cut during the attempt holds it: the path's change starts it again.
            if (tries > 1 && self->relay_.shaper.up(self->links())) {
              return self->connect_upstream(tries - 1);
            }
            return self->close();  // the device sees a reset and reconnects by itself
          }
          error_code ignored;
          self->upstream_.set_option(tcp::no_delay(true), ignored);
          self->upstream_.non_blocking(true, ignored);
          self->upstream_connected_ = true;
          self->read(self->pipe(Direction::down));
          self->pump(self->pipe(Direction::up));
        });
  }

  void read(Pipe& p) {
    if (closed_ || p.ended) return;
    if (p.held_bytes >= relay_.options.max_held_bytes) {
      p.paused = true;
      return;
    }
    // Wait until readable, then read into the relay's one buffer: no buffer per connection.
    source(p).async_wait(tcp::socket::wait_read, [self = shared_from_this(), &p](error_code ec) {
      if (self->closed_) return;
      std::size_t n = 0;
      if (!ec) n = self->source(p).read_some(asio::buffer(self->relay_.read_buffer), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) return self->read(p);
      if (ec) {
        p.ended = true;  // EOF or reset: pass it on after what is held
        // The broker ended it (its node died, or it refused the login): the path's next
        // connection goes to the next node, as the client itself would fail over.
        if (p.direction == Direction::down && !self->pipe(Direction::up).ended) {
          self->path_->next_node();
        }
        // The device gave up before the relay reached the broker (a cut, or a broker too busy
        // to accept in the device's connect timeout): the broker never sees the half-made
        // connection, as a client whose SYN went unanswered. Else each retry would leave a
        // connect pending for minutes and, once accepted, cost the broker a login for nothing.
        if (p.direction == Direction::up && !self->upstream_connected_) return self->close();
        if (p.done) return self->close_when_quiet();
        return self->pump(p);
      }
      if (!p.done) self->take(p, n);  // else nobody is left to receive it
      self->read(p);
    });
  }

  void take(Pipe& p, std::size_t n) {
    for (std::size_t at = 0; at < n; at += kSegmentBytes) {
      const std::size_t size = std::min(kSegmentBytes, n - at);
      p.queue.push_back(Segment{std::string(relay_.read_buffer.data() + at, size)});
      p.held_bytes += size;
    }
    if (relay_.shaper.up(links())) plan(p, Clock::now());
    pump(p);
  }

  // Gives every unplanned segment its release time, in order.
  void plan(Pipe& p, TimePoint now) {
    for (Segment& s : p.queue) {
      if (s.planned) continue;
      s.release = relay_.shaper.cross(links(), p.direction, s.bytes.size(), now, p.last_release,
                                      !s.counted);
      s.planned = s.counted = true;
      p.last_release = s.release;
    }
  }

  // Writes what is due; waits for the next release otherwise.
  void pump(Pipe& p) {
    if (closed_ || p.done || !p.writing.empty() || !sink_ready(p) || !relay_.shaper.up(links()))
      return;
    const TimePoint now = Clock::now();
    while (!p.queue.empty() && p.queue.front().planned && p.queue.front().release <= now) {
      p.writing += p.queue.front().bytes;
      p.queue.pop_front();
    }
    if (!p.writing.empty()) {
      p.held_bytes -= p.writing.size();
      asio::async_write(sink(p), asio::buffer(p.writing),
                        [self = shared_from_this(), &p](const error_code& ec, std::size_t) {
                          if (self->closed_) return;
                          p.writing.clear();
                          if (ec) return self->sink_dead(p);
                          if (p.paused) {
                            p.paused = false;
                            self->read(p);
                          }
                          self->pump(p);
                        });
      return;
    }
    if (!p.queue.empty()) {
      if (!p.queue.front().planned) return;
      p.timer.expires_at(p.queue.front().release);
      p.timer.async_wait([self = shared_from_this(), &p](const error_code& ec) {
        if (!ec) self->pump(p);
      });
      return;
    }
    if (p.ended && !p.done) pass_close(p);
  }

  // Everything before the source's close is delivered: close the sink's sending side, as the
  // source did (the other direction goes on until its own close).
  void pass_close(Pipe& p) {
    error_code ignored;
    sink(p).shutdown(tcp::socket::shutdown_send, ignored);
    finished(p);
  }

  // Closes once both directions are finished and both sockets have said so (closing with unread
  // bytes would reset the connection, and the broker could lose what it has not read yet).
  void close_when_quiet() {
    const auto quiet = [](const Pipe& p) { return p.done && p.ended; };
    if (quiet(pipes_[0]) && quiet(pipes_[1])) close();
  }

  void sink_dead(Pipe& p) {
    p.queue.clear();
    p.held_bytes = 0;
    finished(p);
  }

  void finished(Pipe& p) {
    p.done = true;
    close_when_quiet();
    if (closed_) return;
    linger_.expires_after(kLinger);
    linger_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) self->close();
    });
  }

  ShapingRelay::Impl& relay_;
  std::shared_ptr<const PathInfo> path_;
  tcp::socket client_, upstream_;
  asio::steady_timer linger_;
  std::array<Pipe, 2> pipes_;  // by Direction
  bool upstream_started_ = false, upstream_connected_ = false, closed_ = false;
};

void ShapingRelay::Impl::accept(tcp::acceptor& acceptor, std::shared_ptr<const PathInfo> path) {
  acceptor.async_accept([this, &acceptor, path](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      log::warn("link relay: ", path->device, ": accept: ", ec.message());
      auto retry = std::make_shared<asio::steady_timer>(io, kAcceptRetry);
      retry->async_wait([this, &acceptor, path, retry](const error_code& timer_ec) {
        if (!timer_ec) accept(acceptor, path);
      });
      return;
    }
    auto connection = std::make_shared<Connection>(*this, path, std::move(socket));
    connections.insert(connection);
    connection->start();
    accept(acceptor, path);
  });
}

std::unique_ptr<tcp::acceptor> ShapingRelay::Impl::listen(const asio::ip::address_v4& address) {
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  acceptor->open(tcp::v4());
  acceptor->set_option(tcp::acceptor::reuse_address(true));
  error_code ec;
  if (port != 0) acceptor->bind(tcp::endpoint(address, port), ec);
  // The first listener, or an address where another socket holds the relay's port (another
  // relay's listener that had to do the same): a port of the kernel's choosing.
  if (port == 0 || ec == asio::error::address_in_use) {
    acceptor->bind(tcp::endpoint(address, 0));
  } else if (ec) {
    throw boost::system::system_error(ec, "bind " + address.to_string());
  }
  acceptor->listen(asio::socket_base::max_listen_connections);
  const std::uint16_t bound = acceptor->local_endpoint().port();
  if (port == 0) port = bound;
  ports.insert(bound);
  return acceptor;
}

void ShapingRelay::Impl::path_changed(LinkShaper::LinkIndex link) {
  std::vector<std::shared_ptr<Connection>> affected;
  for (const auto& c : connections) {
    const auto& links = c->links();
    if (std::find(links.begin(), links.end(), link) != links.end()) affected.push_back(c);
  }
  for (const auto& c : affected) c->path_changed();
}

ShapingRelay::ShapingRelay(const std::map<std::string, LinkSpec>& links, RelayOptions options)
    : impl_(std::make_unique<Impl>(links, std::move(options))) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

ShapingRelay::~ShapingRelay() {
  impl_->on_relay_thread([impl = impl_.get()] {
    for (auto& acceptor : impl->acceptors) {
      error_code ignored;
      acceptor->close(ignored);
    }
    auto connections = impl->connections;  // close() erases from the set
    for (const auto& c : connections) c->close();
    return 0;
  });
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

tcp::endpoint ShapingRelay::add_path(const std::string& device,
                                     const std::vector<std::string>& links,
                                     const std::vector<tcp::endpoint>& brokers) {
  return impl_->on_relay_thread([&] {
    const auto address = relay_address(impl_->options.listen_from, impl_->acceptors.size());
    if (brokers.empty()) throw std::invalid_argument("link relay: " + device + ": no broker");
    PathInfo info{device, impl_->shaper.path(links), brokers, {}};
    // One source address for every node: they are all loopback, or none is.
    if (spreads_sources_to(brokers.front().address())) info.source = address;
    auto acceptor = impl_->listen(address);
    const tcp::endpoint listening = acceptor->local_endpoint();
    impl_->accept(*acceptor, std::make_shared<const PathInfo>(std::move(info)));
    impl_->acceptors.push_back(std::move(acceptor));
    return listening;
  });
}

std::size_t ShapingRelay::listen_ports() {
  return impl_->on_relay_thread([&] { return impl_->ports.size(); });
}

bool ShapingRelay::set_link(const std::string& link, const LinkSpec& spec) {
  return impl_->on_relay_thread([&] {
    auto index = impl_->shaper.find(link);
    if (!index) return false;
    impl_->shaper.set_spec(*index, spec);
    impl_->path_changed(*index);
    return true;
  });
}

std::map<std::string, LinkCounters> ShapingRelay::counters() {
  return impl_->on_relay_thread([&] {
    std::map<std::string, LinkCounters> out;
    for (LinkShaper::LinkIndex i = 0; i < impl_->shaper.size(); ++i) {
      out.emplace(impl_->shaper.name(i), impl_->shaper.counters(i));
    }
    return out;
  });
}

}  // namespace snet::network
