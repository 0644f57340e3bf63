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

}  // namespace snet::bench
