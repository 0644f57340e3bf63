// The process's own resources in Prometheus' standard names, read from /proc/self, and
// snet_build_info: the tail of every service's /metrics (Metrics::prometheus()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace snet {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  std::int64_t resident_bytes = 0;
  std::int64_t virtual_bytes = 0;
  std::int64_t open_fds = 0;
  std::int64_t max_fds = 0;       // the soft RLIMIT_NOFILE
  double start_time_seconds = 0;  // since the Unix epoch
};

/// nullopt where /proc/self cannot be read.
std::optional<ProcessStats> read_process_stats();

/// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
/// process_open_fds, process_max_fds, process_start_time_seconds and
/// snet_build_info{version="0.1.0",commit="df3eb2c"} 1.
std::string process_metrics_text();

}  // namespace snet
