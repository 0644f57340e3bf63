// Compiles action code without running it, in a Node.js worker of its own (started on the first
// check, replaced if it dies), so that snet-whisk can refuse code with a syntax error at
// create time with the compiler's message.
// Thread safety: lives on the Invoker's io_context thread; call it only there. `done` runs on
// that thread, exactly once per check (also when the worker dies or on shutdown).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "worker.hpp"

namespace snet::whisk {

using CheckDone = std::function<void(std::optional<std::string> error)>;

class SyntaxChecker {
 public:
  SyntaxChecker(boost::asio::io_context& io, WorkerLaunch launch);
  /// done(nullopt) when `code` compiles, else done(the message, with the file's line).
  void check(std::string name, std::string code, CheckDone done);
  /// Answers what is pending with "shutting down" and stops the worker.
  void shutdown();

 private:
  struct Check {
    std::string name, code;
    CheckDone done;
  };
  void flush();
  void on_exit(const std::string& why);

  boost::asio::io_context& io_;
  const WorkerLaunch launch_;
  std::shared_ptr<Worker> worker_;
  std::uint64_t generation_ = 0;  // tells an old worker's exit from the current one's
  bool ready_ = false;
  bool stopping_ = false;
  std::deque<Check> queued_;  // waiting for the worker to be ready
  std::map<std::uint64_t, CheckDone> sent_;
  std::uint64_t next_token_ = 1;
};

}  // namespace snet::whisk
