// For benchmarks that run our programs: start one with its output in a log file, and read what a
// process costs from /proc (CPU time, resident memory).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "snet/process.hpp"

namespace snet::bench {

/// Starts `bin_dir`/`program` with `args`; its output goes to `work_dir`/`log_name`.log.
inline ChildProcess start_program(const std::string& bin_dir, const std::filesystem::path& work_dir,
                                  const std::string& program, std::vector<std::string> args,
                                  const std::string& log_name) {
  args.insert(args.begin(), bin_dir + "/" + program);
  const std::string log = (work_dir / (log_name + ".log")).string();
  return ChildProcess(std::move(args), {{}, log, "=stdout", true});
}

/// Resident memory of `pid` in KB (0 when gone).
inline long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

/// What a process's memory costs, in KB, from /proc/<pid>/smaps_rollup (zeros when gone). RSS
/// counts every page the process maps, so summing it over several processes of one program
/// counts their shared code (the binary, its libraries) once per process; PSS divides each shared
/// page among the processes mapping it, so PSS sums to what they cost together. Anonymous: the
/// process's own heap and stacks.
struct MemoryKb {
  long rss = 0, pss = 0, anonymous = 0;
};
inline MemoryKb memory_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  MemoryKb out;
  std::string line;
  auto value = [&line](std::size_t skip) { return std::stol(line.substr(skip)); };
  while (std::getline(in, line)) {
    if (line.rfind("Rss:", 0) == 0) out.rss = value(4);
    if (line.rfind("Pss:", 0) == 0) out.pss = value(4);
    if (line.rfind("Anonymous:", 0) == 0) out.anonymous = value(10);
  }
  return out;
}

/// CPU time (user + system) `pid` has used, in seconds.
inline double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto comm_end = text.rfind(')');
  if (comm_end == std::string::npos) return 0;
  std::istringstream fields(text.substr(comm_end + 2));  // from field 3, the state
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// The processes whose parent is `pid` (e.g. snet-whisk's Node.js workers), from /proc.
inline std::vector<pid_t> child_pids(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto comm_end = text.rfind(')');
    if (comm_end == std::string::npos) continue;
    std::istringstream fields(text.substr(comm_end + 2));  // state, ppid, ...
    std::string state;
    pid_t ppid = 0;
    if (fields >> state >> ppid && ppid == pid) out.push_back(std::stoi(name));
  }
  return out;
}

/// CPU seconds of `pid` and of its children alive now.
inline double cpu_seconds_with_children(pid_t pid) {
  double total = cpu_seconds(pid);
  for (const pid_t child : child_pids(pid)) total += cpu_seconds(child);
  return total;
}

}  // namespace snet::bench
