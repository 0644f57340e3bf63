#include "worker.hpp"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <system_error>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "snet/log.hpp"

namespace snet::whisk {

namespace asio = boost::asio;
using stream_protocol = asio::local::stream_protocol;

namespace {

constexpr std::size_t kMaxLineBytes = 64 * 1024 * 1024;  // a result or log burst larger is cut

// Closes a descriptor unless released (the child's end once it has been handed over).
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::vector<std::string> worker_command(const WorkerLaunch& launch) {
  std::vector<std::string> argv;
  if (!launch.user.empty()) {
    // setpriv drops to the user; the parent-death signal, cleared by the change of user, is
    // asked for again so workers still never outlive snet-whisk.
    const struct passwd* account = ::getpwnam(launch.user.c_str());
    if (account == nullptr) {
      throw std::system_error(ENOENT, std::generic_category(),
                              "no user '" + launch.user + "' to run workers as");
    }
    argv = {"setpriv",
            "--reuid=" + std::to_string(account->pw_uid),
            "--regid=" + std::to_string(account->pw_gid),
            "--clear-groups",
            "--pdeathsig",
            "KILL",
            "--"};
  }
  argv.push_back(launch.node);
  if (launch.sandbox) {
    argv.emplace_back("--experimental-permission");
    argv.emplace_back("--disable-warning=ExperimentalWarning");
    for (const auto& dir : launch.readable) argv.push_back("--allow-fs-read=" + dir + "/*");
  }
  argv.push_back(launch.script);
  return argv;
}

bool node_has_permission_model(const std::string& node) {
  WorkerLaunch probe;
  probe.node = node;
  probe.sandbox = true;
  probe.readable = {"/"};
  auto argv = worker_command(probe);
  argv.back() = "-e";  // instead of the worker script
  argv.emplace_back("");
  try {
    ChildProcess::Options options;
    options.stdout_path = "/dev/null";
    options.stderr_path = "=stdout";
    ChildProcess child(argv, options);
    if (!child.wait_for(std::chrono::seconds(10))) return false;
    const auto status = child.exit_status();
    return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  } catch (const std::exception&) {
    return false;
  }
}

Worker::Worker(asio::io_context& io, std::uint64_t id) : socket_(io), id_(id) {}

Worker::~Worker() {
  close();
}

void Worker::start(const WorkerLaunch& launch, ReadyHandler on_ready, ExitHandler on_exit) {
  on_ready_ = std::move(on_ready);
  on_exit_ = std::move(on_exit);
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::system_error(errno, std::generic_category(), "socketpair for a worker");
  }
  Fd ours{fds[0]}, theirs{fds[1]};
  // Only the child's end survives exec (ChildProcess closes every other descriptor in it).
  ChildProcess::Options options;
  options.inherit_fds = {theirs.fd};
  options.env["SNET_WHISK_FD"] = std::to_string(theirs.fd);
  if (!launch.modules.empty()) options.env["NODE_PATH"] = launch.modules;
  process_ = ChildProcess(worker_command(launch), options);
  socket_.assign(stream_protocol(), ours.fd);
  ours.fd = -1;  // the socket owns it now
  read_next();
}

void Worker::check(const std::string& name, const std::string& code, CheckHandler done) {
  checks_.push_back(std::move(done));
  send({{"op", "check"}, {"name", name}, {"code", code}});
}

void Worker::init(const Action& action, InitHandler done) {
  inits_.push_back(std::move(done));
  nlohmann::json message = {{"op", "init"}, {"name", action.name}, {"main", action.entry()}};
  if (action.archive) {
    message["dir"] = action.archive->dir();
  } else {
    message["code"] = action.code;
  }
  send(std::move(message));
}

void Worker::run(const std::string& activation_id, const nlohmann::json& params,
                 const nlohmann::json& env, long log_limit_bytes, RunHandler done) {
  runs_[activation_id] = std::move(done);
  if (exited_) return;
  // Serialized in place: building a json message first would copy the parameters.
  queued_ += R"({"op":"run","id":)";
  queued_ += nlohmann::json(activation_id).dump();
  queued_ += R"(,"log_limit":)";
  queued_ += std::to_string(log_limit_bytes);
  queued_ += R"(,"env":)";
  queued_ += env.dump();
  queued_ += R"(,"value":)";
  queued_ += params.dump();
  queued_ += "}\n";
  if (!writing_) write_next();
}

void Worker::kill(const std::string& why) {
  if (exited_) return;
  exit_reason_ = why;
  process_.signal(SIGKILL);
}

void Worker::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  process_.stop(std::chrono::seconds(2));
}

void Worker::read_next() {
  asio::async_read_until(
      socket_, asio::dynamic_buffer(read_buffer_, kMaxLineBytes), '\n',
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        if (ec) {
          if (ec == asio::error::not_found)
            self->exit_reason_ = "the worker sent an oversized line";
          self->on_channel_closed();
          return;
        }
        // Under load one read holds a batch of answers: handle every complete line now rather
        // than one line per read completion.
        std::size_t begin = 0;
        while (!self->exited_) {
          const auto newline = self->read_buffer_.find('\n', begin);
          if (newline == std::string::npos) break;
          self->on_line(std::string_view(self->read_buffer_).substr(begin, newline - begin));
          begin = newline + 1;
        }
        if (self->exited_) return;
        self->read_buffer_.erase(0, begin);
        self->read_next();
      });
}

void Worker::on_line(std::string_view line) {
  const auto message = nlohmann::json::parse(line, nullptr, false);
  if (message.is_discarded() || !message.is_object()) {
    log::warn("worker ", id_, " sent a malformed line: ", line.substr(0, 200));
    return;
  }
  const std::string op = message.value("op", std::string());
  if (op == "run") {
    auto it = runs_.find(message.value("id", std::string()));
    if (it == runs_.end()) return;
    RunHandler done = std::move(it->second);
    runs_.erase(it);
    RunOutcome outcome;
    outcome.status = message.value("status", std::string("action developer error"));
    outcome.result = message.value("result", nlohmann::json::object());
    outcome.logs = message.value("logs", std::vector<std::string>{});
    done(std::move(outcome));
  } else if (op == "init" && !inits_.empty()) {
    InitHandler done = std::move(inits_.front());
    inits_.pop_front();
    std::optional<std::string> error;
    if (!message.value("ok", false)) error = message.value("error", std::string("init failed"));
    done(std::move(error), message.value("logs", std::vector<std::string>{}));
  } else if (op == "check" && !checks_.empty()) {
    CheckHandler done = std::move(checks_.front());
    checks_.pop_front();
    std::optional<std::string> error;
    if (!message.value("ok", false)) error = message.value("error", std::string("check failed"));
    done(std::move(error));
  } else if (op == "ready") {
    if (on_ready_) std::exchange(on_ready_, nullptr)();
  } else if (op == "crash") {
    exit_reason_ = "the action crashed the worker: " + message.value("error", std::string());
  } else {
    log::warn("worker ", id_, ": ", message.value("error", std::string(line.substr(0, 200))));
  }
}

void Worker::send(nlohmann::json message) {
  if (exited_) return;
  queued_ += message.dump();
  queued_ += '\n';
  if (!writing_) write_next();
}

// One write in flight; what is sent meanwhile is appended to queued_ and leaves in the next
// write, so a burst of activations costs one syscall, not one per message.
void Worker::write_next() {
  writing_ = true;
  in_write_.swap(queued_);
  queued_.clear();
  asio::async_write(socket_, asio::buffer(in_write_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (ec) return;  // the read side notices the closed channel
                      self->writing_ = false;
                      self->in_write_.clear();
                      if (!self->queued_.empty()) self->write_next();
                    });
}

void Worker::on_channel_closed() {
  if (exited_) return;
  exited_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  // The channel closes when the process exits; reap it (SIGKILL if it lingers without it).
  if (!process_.wait_for(std::chrono::milliseconds(500))) process_.stop(std::chrono::seconds(1));
  std::string why = exit_reason_;
  if (why.empty()) why = "the worker exited unexpectedly";
  checks_.clear();
  inits_.clear();
  runs_.clear();
  // in_write_ stays: an aborted write may still refer to it.
  on_ready_ = nullptr;
  if (auto handler = std::exchange(on_exit_, nullptr)) handler(why);
}

}  // namespace snet::whisk
