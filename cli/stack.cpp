#include "stack.hpp"

#include <sys/wait.h>
#include <deque>
#include <fstream>

namespace snet::cli {

void Stack::start(const std::string& name, std::vector<std::string> argv) {
  ChildProcess::Options options;
  options.stdout_path = log_path(name);
  options.stderr_path = "=stdout";
  options.new_process_group = true;  // a terminal's Ctrl-C reaches snet up, which stops them
  children_.emplace_back(name, ChildProcess(std::move(argv), options));
}

std::optional<std::string> Stack::find_dead() {
  for (auto& [name, child] : children_) {
    if (!child.running()) {
      const auto status = child.exit_status();
      return name + (status ? " " + describe_exit(*status) : " is not running");
    }
  }
  return std::nullopt;
}

void Stack::stop_all(std::chrono::milliseconds grace) {
  // One at a time: producers are gone before their consumers stop, so nothing is cut mid-way.
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) it->second.stop(grace);
}

std::vector<pid_t> Stack::pids() const {
  std::vector<pid_t> out;
  for (const auto& [name, child] : children_) out.push_back(child.pid());
  return out;
}

std::string describe_exit(int wait_status) {
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "killed by signal " + std::to_string(WTERMSIG(wait_status));
  return "stopped (wait status " + std::to_string(wait_status) + ")";
}

std::string tail_of_file(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "    " + l + "\n";
  return out;
}

}  // namespace snet::cli
