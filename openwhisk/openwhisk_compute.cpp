#include "openwhisk_compute.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "action_contract.hpp"
#include "curl_util.hpp"
#include "openwhisk_answer.hpp"
#include "plain_http_client.hpp"
#include "snet/log.hpp"
#include "whisk_defaults.hpp"
#include "whisk_key.hpp"

namespace snet::openwhisk {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ------------------------------------------------------------------------------------------
// The engine: one thread driving a curl multi handle through curl_multi_socket_action and epoll.
// Why not curl_multi_perform/curl_multi_poll: both visit every transfer on each call (a poll()
// per open request in 7.x), so with ~128 requests open each answer cost ~128 syscalls; with the
// socket interface curl only touches the connections the kernel reports ready.
// ------------------------------------------------------------------------------------------

namespace {

struct Invocation {
  ComputeRequest request;
  ComputeDone done;
  std::string params;  // the POST body, serialized once
  Clock::time_point deadline;
  int attempts = 0;  // requests sent for the current phase
  bool polling = false;
  std::string activation_id;
  std::string body;  // response being received
  openwhisk::CurlEasy easy;
};
using InvocationPtr = std::unique_ptr<Invocation>;

Transport from_curl(CURL* easy, CURLcode code) {
  Transport t;
  t.ok = code == CURLE_OK;
  t.timed_out = code == CURLE_OPERATION_TIMEDOUT;
  if (t.ok) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t.status);
  } else {
    t.error = curl_easy_strerror(code);
  }
  return t;
}

// A file descriptor closed on destruction.
struct OwnedFd {
  int fd = -1;
  explicit OwnedFd(int f) : fd(f) {}
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
};

int checked(int fd, const char* what) {
  if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
  return fd;
}

}  // namespace

class OpenWhiskCompute::Engine {
 public:
  Engine(OpenWhiskOptions options, Metrics& metrics)
      : options_(std::move(options)),
        ok_(metrics.counter("snet_openwhisk_invocations_total", "Action invocations by outcome",
                            "outcome=\"ok\"")),
        failed_(metrics.counter("snet_openwhisk_invocations_total", "", "outcome=\"error\"")),
        rejected_(metrics.counter("snet_openwhisk_invocations_total", "", "outcome=\"rejected\"")),
        retry_throttled_(metrics.counter("snet_openwhisk_retries_total",
                                         "Requests repeated after 429/503 or no answer",
                                         "reason=\"throttled\"")),
        retry_transport_(
            metrics.counter("snet_openwhisk_retries_total", "", "reason=\"transport\"")),
        polls_(metrics.counter("snet_openwhisk_polls_total",
                               "Activation polls after a 202 (blocking wait ran out)")),
        in_flight_(metrics.gauge("snet_openwhisk_in_flight", "HTTP requests open now")),
        outstanding_gauge_(
            metrics.gauge("snet_openwhisk_outstanding", "Invocations accepted and not yet done")) {
    openwhisk::ensure_curl_initialized();
    multi_.reset(curl_multi_init());
    if (!multi_) throw std::runtime_error("curl_multi_init failed");
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.fd = wake_.fd;
    if (::epoll_ctl(epoll_.fd, EPOLL_CTL_ADD, wake_.fd, &wake) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl for the OpenWhisk engine");
    }
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &Engine::on_socket);
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &Engine::on_timer);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
    // Keep one cached connection per possible concurrent request, so bursts reuse them.
    curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS,
                      static_cast<long>(options_.max_in_flight));
    headers_ = openwhisk::json_headers();
    const std::string apihost = openwhisk::normalize_apihost(options_.server.apihost);
    if (!options_.curl_for_http && PlainHttpClient::serves(apihost)) {
      plain_ = std::make_unique<PlainHttpClient>(apihost, options_.server.auth, epoll_.fd);
    }
    capacity_ = options_.max_in_flight + options_.max_queued;
    thread_ = std::thread([this] { run(); });
  }

  ~Engine() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake();
    thread_.join();
  }

  void submit(ComputeRequest request, ComputeDone done) {
    if (outstanding_.fetch_add(1) >= capacity_) {
      outstanding_.fetch_sub(1);
      rejected_.add();
      ComputeResult busy;
      busy.error = "action '" + request.action + "' rejected: " + std::to_string(capacity_) +
                   " OpenWhisk invocations already in flight or queued";
      done(std::move(busy));
      return;
    }
    outstanding_gauge_.set(static_cast<std::int64_t>(outstanding_.load()));
    auto inv = std::make_unique<Invocation>();
    inv->params = to_action_params(request).dump();
    inv->request = std::move(request);
    inv->done = std::move(done);
    inv->deadline = Clock::now() + options_.deadline;
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        incoming_.push_back(std::move(inv));
        inv = nullptr;
      }
    }
    if (inv) {
      finish(std::move(inv), shutdown_result(inv->request));
      return;
    }
    wake();
  }

 private:
  static ComputeResult shutdown_result(const ComputeRequest& request) {
    ComputeResult r;
    r.error = "action '" + request.action + "' was cancelled: the relayer is shutting down";
    return r;
  }

  // Inputs are rvalue references so that callers may build `text` from *inv in the same call.
  void fail(InvocationPtr&& inv, const std::string& text) {
    ComputeResult r;
    r.error = text;
    finish(std::move(inv), std::move(r));
  }

  AnswerContext context(const Invocation& inv) const {
    return {inv.request, options_.server.apihost, options_.server.ns, options_.deadline};
  }

  std::string where(const Invocation& inv) const { return context(inv).where(); }

  void wake() {
    const std::uint64_t one = 1;
    // EAGAIN: the counter is already non-zero, the engine is being woken anyway.
    [[maybe_unused]] const auto n = ::write(wake_.fd, &one, sizeof one);
  }

  // CURLMOPT_SOCKETFUNCTION: curl says which events it wants on a connection's socket.
  static int on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
    auto* engine = static_cast<Engine*>(self);
    if (what == CURL_POLL_REMOVE) {
      ::epoll_ctl(engine->epoll_.fd, EPOLL_CTL_DEL, fd, nullptr);  // may be closed already
      engine->watched_.erase(fd);
      return 0;
    }
    const std::uint32_t events =
        (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    const auto known = engine->watched_.find(fd);
    if (known != engine->watched_.end() && known->second == events) return 0;  // no change
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    // A descriptor curl closed without telling us may be reused: try the other operation too.
    const int op = known != engine->watched_.end() ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (::epoll_ctl(engine->epoll_.fd, op, fd, &ev) != 0 &&
        ::epoll_ctl(engine->epoll_.fd, op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd,
                    &ev) != 0) {
      log::warn("openwhisk: cannot watch a connection: ", std::strerror(errno));
      return -1;
    }
    engine->watched_[fd] = events;
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION: when curl wants to be called with CURL_SOCKET_TIMEOUT (-1: never).
  static int on_timer(CURLM*, long timeout_ms, void* self) {
    auto* engine = static_cast<Engine*>(self);
    engine->curl_timer_ = timeout_ms < 0 ? std::optional<Clock::time_point>()
                                         : Clock::now() + milliseconds(timeout_ms);
    return 0;
  }

  void run() {
    std::deque<InvocationPtr> arrived;
    std::array<epoll_event, 64> events{};
    int running = 0;
    while (true) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
        arrived.swap(incoming_);
      }
      for (auto& inv : arrived) waiting_.push_back(std::move(inv));
      arrived.clear();
      fire_due_timers();
      expire_waiting();
      if (plain_) plain_->expire(Clock::now());
      start_waiting();
      if (curl_timer_ && *curl_timer_ <= Clock::now()) {
        curl_timer_.reset();
        curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
      }
      collect_finished();
      auto next = Clock::now() + milliseconds(1000);
      if (!timers_.empty()) next = std::min(next, timers_.begin()->first);
      if (curl_timer_) next = std::min(next, *curl_timer_);
      if (plain_) next = std::min(next, plain_->next_deadline());
      auto wait = std::chrono::duration_cast<milliseconds>(next - Clock::now()).count();
      // Round up, or a timer due in 0.4 ms would spin through epoll_wait(0) until it is due.
      if (next > Clock::now()) wait += 1;
      if (!waiting_.empty() && in_flight() < options_.max_in_flight) wait = 0;
      const int n = ::epoll_wait(epoll_.fd, events.data(), static_cast<int>(events.size()),
                                 static_cast<int>(std::clamp<long>(wait, 0, 1000)));
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_.fd) {
          std::uint64_t count = 0;
          [[maybe_unused]] const auto r = ::read(wake_.fd, &count, sizeof count);
          continue;
        }
        const auto ev = events[i].events;
        if (plain_ && plain_->owns(fd)) {
          plain_->on_event(fd, ev);
          continue;
        }
        const int bits = (ev & EPOLLIN ? CURL_CSELECT_IN : 0) |
                         (ev & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                         (ev & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(multi_.get(), fd, bits, &running);
      }
      collect_finished();
    }
    shutdown();
  }

  void fire_due_timers() {
    const auto now = Clock::now();
    // Retries and polls are older than new arrivals: they go first.
    std::vector<InvocationPtr> due;
    while (!timers_.empty() && timers_.begin()->first <= now) {
      due.push_back(std::move(timers_.begin()->second));
      timers_.erase(timers_.begin());
    }
    for (auto it = due.rbegin(); it != due.rend(); ++it) waiting_.push_front(std::move(*it));
  }

  void start_waiting() {
    while (!waiting_.empty() && in_flight() < options_.max_in_flight) {
      InvocationPtr inv = std::move(waiting_.front());
      waiting_.pop_front();
      start(std::move(inv));
    }
  }

  std::string waited_text(const Invocation& inv) const {
    return where(inv) + " waited " + std::to_string(options_.deadline.count()) + " ms for one of " +
           std::to_string(options_.max_in_flight) + " request slots";
  }

  // Invocations still waiting for a slot when their deadline passes fail now, not when a slot
  // frees (all slots may be held by a server that does not answer).
  void expire_waiting() {
    const auto now = Clock::now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if ((*it)->deadline > now) {
        ++it;
        continue;
      }
      InvocationPtr inv = std::move(*it);
      it = waiting_.erase(it);
      fail(std::move(inv), waited_text(*inv));
    }
  }

  void start(InvocationPtr&& inv) {
    const auto remaining = std::chrono::duration_cast<milliseconds>(inv->deadline - Clock::now());
    if (remaining.count() <= 0) {
      if (inv->attempts == 0 && !inv->polling) return fail(std::move(inv), waited_text(*inv));
      const std::string what = inv->polling ? "activation " + inv->activation_id + " of " : "";
      fail(std::move(inv), what + where(*inv) + " did not finish within " +
                               std::to_string(options_.deadline.count()) + " ms");
      return;
    }
    if (plain_) return start_plain(std::move(inv), remaining);
    if (!inv->easy) {
      if (!easy_pool_.empty()) {
        inv->easy = std::move(easy_pool_.back());
        easy_pool_.pop_back();
      } else {
        // What every request shares is set once per handle; a handle only ever makes this
        // engine's requests, so it needs no curl_easy_reset between them.
        inv->easy.reset(curl_easy_init());
        std::string unused;
        openwhisk::configure_request(inv->easy.get(), options_.server.auth, unused, headers_.get(),
                                     options_.deadline, options_.connect_timeout,
                                     options_.insecure_tls);
      }
    }
    CURL* easy = inv->easy.get();
    inv->body.clear();
    ++inv->attempts;
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &inv->body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min(remaining, options_.connect_timeout).count()));
    if (inv->polling) {
      const std::string url = openwhisk::entity_url(options_.server.apihost, options_.server.ns,
                                                    "activations", inv->activation_id);
      curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
      polls_.add();
    } else {
      const std::string url = openwhisk::entity_url(options_.server.apihost, options_.server.ns,
                                                    "actions", inv->request.action) +
                              "?blocking=true&result=true";
      curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, inv->params.c_str());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(inv->params.size()));
    }
    curl_multi_add_handle(multi_.get(), easy);
    active_.emplace(easy, std::move(inv));
    in_flight_.set(static_cast<std::int64_t>(in_flight()));
  }

  std::size_t in_flight() const { return active_.size() + plain_active_.size(); }

  void start_plain(InvocationPtr&& inv, milliseconds remaining) {
    ++inv->attempts;
    inv->body.clear();
    Invocation* tag = inv.get();
    plain_active_.emplace(tag, std::move(inv));
    in_flight_.set(static_cast<std::int64_t>(in_flight()));
    if (tag->polling) {
      polls_.add();
      plain_->send(tag,
                   openwhisk::entity_url(options_.server.apihost, options_.server.ns, "activations",
                                         tag->activation_id),
                   nullptr, tag->deadline, std::min(remaining, options_.connect_timeout));
    } else {
      plain_->send(tag,
                   openwhisk::entity_url(options_.server.apihost, options_.server.ns, "actions",
                                         tag->request.action) +
                       "?blocking=true&result=true",
                   &tag->params, tag->deadline, std::min(remaining, options_.connect_timeout));
    }
  }

  void collect_finished() {
    if (plain_ && !plain_->answers().empty()) {
      std::vector<PlainHttpAnswer> answers;
      answers.swap(plain_->answers());
      for (auto& answer : answers) {
        const auto it = plain_active_.find(static_cast<Invocation*>(answer.tag));
        if (it == plain_active_.end()) continue;
        InvocationPtr inv = std::move(it->second);
        plain_active_.erase(it);
        in_flight_.set(static_cast<std::int64_t>(in_flight()));
        inv->body = std::move(answer.body);
        Transport t{answer.transport_ok, answer.timed_out, std::move(answer.error), answer.status};
        if (inv->polling) {
          on_poll_answer(std::move(inv), t);
        } else {
          on_invoke_answer(std::move(inv), t);
        }
      }
    }
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode code = msg->data.result;
      curl_multi_remove_handle(multi_.get(), easy);
      auto it = active_.find(easy);
      if (it == active_.end()) continue;
      InvocationPtr inv = std::move(it->second);
      active_.erase(it);
      in_flight_.set(static_cast<std::int64_t>(in_flight()));
      const Transport t = from_curl(easy, code);
      if (inv->polling) {
        on_poll_answer(std::move(inv), t);
      } else {
        on_invoke_answer(std::move(inv), t);
      }
    }
  }

  // What an answer means is openwhisk_answer.hpp's to say; this only acts on it.
  void on_invoke_answer(InvocationPtr inv, const Transport& t) {
    const bool out_of_time = Clock::now() + milliseconds(5) >= inv->deadline;
    Verdict verdict = classify_invoke_answer(t, inv->body, context(*inv), out_of_time);
    act(std::move(inv), std::move(verdict));
  }

  void on_poll_answer(InvocationPtr inv, const Transport& t) {
    Verdict verdict = classify_poll_answer(t, inv->body, context(*inv), inv->activation_id);
    act(std::move(inv), std::move(verdict));
  }

  void act(InvocationPtr&& inv, Verdict verdict) {
    switch (verdict.kind) {
      case Verdict::Kind::result:
        finish(std::move(inv), std::move(verdict.result));
        return;
      case Verdict::Kind::failed:
        fail(std::move(inv), verdict.error);
        return;
      case Verdict::Kind::retry_throttled:
        retry_or_fail(std::move(inv), retry_throttled_, verdict.error);
        return;
      case Verdict::Kind::retry_transport:
        retry_or_fail(std::move(inv), retry_transport_, verdict.error);
        return;
      case Verdict::Kind::poll:
        if (!inv->polling) {  // the first poll: a new phase with attempts of its own
          inv->activation_id = std::move(verdict.activation_id);
          inv->polling = true;
          inv->attempts = 0;
        }
        schedule(std::move(inv), options_.poll_interval);
        return;
    }
  }

  void retry_or_fail(InvocationPtr&& inv, Counter& reason, const std::string& failure) {
    const auto delay = std::min<milliseconds>(
        options_.backoff * (1 << std::min(inv->attempts - 1, 10)), milliseconds(2000));
    if (inv->attempts >= options_.max_attempts || Clock::now() + delay >= inv->deadline) {
      fail(std::move(inv), failure + " after " + std::to_string(inv->attempts) + " attempt(s)");
      return;
    }
    reason.add();
    schedule(std::move(inv), delay);
  }

  void schedule(InvocationPtr&& inv, milliseconds delay) {
    const auto at = Clock::now() + delay;
    if (at >= inv->deadline) {
      const std::string what = inv->polling ? "activation " + inv->activation_id + " of " : "";
      fail(std::move(inv), what + where(*inv) + " did not finish within " +
                               std::to_string(options_.deadline.count()) + " ms");
      return;
    }
    timers_.emplace(at, std::move(inv));
  }

  void finish(InvocationPtr&& moved, ComputeResult result) {
    InvocationPtr inv = std::move(moved);
    if (inv->easy) easy_pool_.push_back(std::move(inv->easy));
    (result.error.empty() ? ok_ : failed_).add();
    if (!result.error.empty()) log::debug("openwhisk: ", result.error);
    outstanding_.fetch_sub(1);
    outstanding_gauge_.set(static_cast<std::int64_t>(outstanding_.load()));
    try {
      inv->done(std::move(result));
    } catch (const std::exception& e) {
      log::error("openwhisk: a completion handler threw: ", e.what());
    }
  }

  void shutdown() {
    std::deque<InvocationPtr> rest;
    {
      std::lock_guard lock(mutex_);
      rest.swap(incoming_);
    }
    for (auto& [easy, inv] : active_) {
      curl_multi_remove_handle(multi_.get(), easy);
      rest.push_back(std::move(inv));
    }
    active_.clear();
    for (auto& [tag, inv] : plain_active_) rest.push_back(std::move(inv));
    plain_active_.clear();
    if (plain_) plain_->close_all();
    for (auto& inv : waiting_) rest.push_back(std::move(inv));
    waiting_.clear();
    for (auto& [at, inv] : timers_) rest.push_back(std::move(inv));
    timers_.clear();
    for (auto& inv : rest) {
      const ComputeResult r = shutdown_result(inv->request);
      finish(std::move(inv), r);
    }
  }

  const OpenWhiskOptions options_;
  Counter& ok_;
  Counter& failed_;
  Counter& rejected_;
  Counter& retry_throttled_;
  Counter& retry_transport_;
  Counter& polls_;
  Gauge& in_flight_;
  Gauge& outstanding_gauge_;
  std::size_t capacity_ = 0;
  std::atomic<std::size_t> outstanding_{0};

  OwnedFd epoll_{checked(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")};
  OwnedFd wake_{checked(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")};
  std::map<curl_socket_t, std::uint32_t> watched_;  // sockets registered with epoll: events
  std::optional<Clock::time_point> curl_timer_;     // curl's own timeout, set by on_timer
  openwhisk::CurlMulti multi_;  // after what on_socket uses: its cleanup may still call it
  openwhisk::CurlList headers_;

  std::mutex mutex_;  // guards incoming_ and stopping_
  std::deque<InvocationPtr> incoming_;
  bool stopping_ = false;

  // Owned by the engine thread:
  std::deque<InvocationPtr> waiting_;
  std::multimap<Clock::time_point, InvocationPtr> timers_;
  std::unordered_map<CURL*, InvocationPtr> active_;
  std::vector<openwhisk::CurlEasy> easy_pool_;
  std::unordered_map<Invocation*, InvocationPtr> plain_active_;
  // http:// API hosts: requests go through this instead of curl (after epoll_: it uses it).
  std::unique_ptr<PlainHttpClient> plain_;

  std::thread thread_;  // last: starts after everything above exists
};

OpenWhiskCompute::OpenWhiskCompute(OpenWhiskOptions options, Metrics& metrics)
    : engine_(std::make_unique<Engine>(std::move(options), metrics)) {}

OpenWhiskCompute::~OpenWhiskCompute() = default;

void OpenWhiskCompute::invoke(ComputeRequest request, ComputeDone done) {
  engine_->submit(std::move(request), std::move(done));
}

void add_openwhisk_flags(Flags& flags) {
  flags
      .add("openwhisk-apihost", "OPENWHISK_APIHOST", "",
           "OpenWhisk API host (default: APIHOST of ~/.wskprops, else snet-whisk on " +
               std::string(openwhisk::kDefaultApiHost) + ")")
      .add("openwhisk-auth", "OPENWHISK_AUTH", "",
           "OpenWhisk key uuid:key (default: the key in --openwhisk-auth-file, else AUTH of "
           "~/.wskprops, else snet-whisk's dev key)")
      .add("openwhisk-auth-file", "OPENWHISK_AUTH_FILE", "",
           "read the key from this file (snet-whisk's <data-dir>/whisk.auth, e.g. on a shared "
           "volume), waiting for it up to --openwhisk-auth-wait-ms; --openwhisk-auth wins")
      .add("openwhisk-auth-wait-ms", "SNET_OPENWHISK_AUTH_WAIT_MS", "30000",
           "how long to wait for --openwhisk-auth-file to appear")
      .add("openwhisk-namespace", "OPENWHISK_NAMESPACE", "",
           "OpenWhisk namespace (default: NAMESPACE of ~/.wskprops, else _)")
      .add("openwhisk-max-in-flight", "SNET_OPENWHISK_MAX_IN_FLIGHT", "64",
           "OpenWhisk requests open at once")
      .add("openwhisk-max-queued", "SNET_OPENWHISK_MAX_QUEUED", "1024",
           "invocations waiting for a request slot; more fail at once")
      .add("openwhisk-deadline-ms", "SNET_OPENWHISK_DEADLINE_MS", "30000",
           "an invocation (with retries and 202 polling) fails after this")
      .add("openwhisk-http-client", "SNET_OPENWHISK_HTTP_CLIENT", "direct",
           "client for http:// API hosts: direct (keep-alive HTTP/1.1 on the relayer's own "
           "loop) or curl (as https:// always uses)")
      .add_switch("openwhisk-insecure", "OPENWHISK_INSECURE",
                  "accept self-signed TLS certificates (as wsk -i)");
}

OpenWhiskOptions openwhisk_options(const Flags& flags) {
  OpenWhiskOptions options;
  std::string auth = flags.str("openwhisk-auth");
  const std::string auth_file = flags.str("openwhisk-auth-file");
  const milliseconds auth_wait(flags.integer("openwhisk-auth-wait-ms", 0, 3600000));
  if (auth.empty() && !auth_file.empty()) {
    // A file, not an argument: the key never shows in `ps` (or `docker inspect`).
    try {
      auth = openwhisk::await_key_file(auth_file, auth_wait);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("--openwhisk-auth-file: ") + e.what());
    }
    log::info("openwhisk compute: key from ", auth_file);
  }
  options.server = resolve_openwhisk_config(
      {flags.str("openwhisk-apihost"), auth, flags.str("openwhisk-namespace")});
  if (options.server.auth.find(':') == std::string::npos) {
    throw UsageError("--openwhisk-auth must be uuid:key");
  }
  options.max_in_flight =
      static_cast<std::size_t>(flags.integer("openwhisk-max-in-flight", 1, 100000));
  options.max_queued = static_cast<std::size_t>(flags.integer("openwhisk-max-queued", 0, 10000000));
  options.deadline = milliseconds(flags.integer("openwhisk-deadline-ms", 10, 3600000));
  options.insecure_tls = flags.on("openwhisk-insecure");
  const std::string http_client = flags.str("openwhisk-http-client");
  if (http_client != "direct" && http_client != "curl") {
    throw UsageError("--openwhisk-http-client must be direct or curl, not '" + http_client + "'");
  }
  options.curl_for_http = http_client == "curl";
  return options;
}

std::unique_ptr<OpenWhiskCompute> make_openwhisk_compute(const Flags& flags, Metrics& metrics) {
  OpenWhiskOptions options = openwhisk_options(flags);
  log::info("openwhisk compute: ", options.server.apihost, ", namespace ", options.server.ns);
  return std::make_unique<OpenWhiskCompute>(std::move(options), metrics);
}

}  // namespace snet::openwhisk
