#include "snet/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include "snet/metrics.hpp"
#include "snet/version.hpp"

namespace snet {
namespace {

std::string read_all(const char* path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// /proc/stat's btime: the boot time in seconds since the epoch (starttime counts from it).
std::optional<double> boot_time() {
  std::istringstream in(read_all("/proc/stat"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return std::nullopt;
}

void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
  const std::string stat = read_all("/proc/self/stat");
  // The command name (field 2) is in parentheses and may hold spaces: fields count after ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat.substr(close + 2));
  std::vector<std::string> fields{std::istream_iterator<std::string>(in),
                                  std::istream_iterator<std::string>()};
  // fields[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
  if (fields.size() < 22) return std::nullopt;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const long page = ::sysconf(_SC_PAGESIZE);
  ProcessStats s;
  try {
    s.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
    s.start_time_seconds = boot_time().value_or(0) + std::stod(fields[19]) / ticks;
    s.virtual_bytes = std::stoll(fields[20]);
    s.resident_bytes = std::stoll(fields[21]) * page;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++s.open_fds;
  }
  if (s.open_fds > 0) --s.open_fds;  // the directory iterator's own descriptor
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
    s.max_fds = static_cast<std::int64_t>(limit.rlim_cur);
  return s;
}

std::string process_metrics_text() {
  std::ostringstream out;
  out.precision(15);
  if (const auto s = read_process_stats()) {
    family(out, "process_cpu_seconds_total", "counter",
           "User and system CPU time spent in seconds");
    out << "process_cpu_seconds_total " << s->cpu_seconds << '\n';
    family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes");
    out << "process_resident_memory_bytes " << s->resident_bytes << '\n';
    family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes");
    out << "process_virtual_memory_bytes " << s->virtual_bytes << '\n';
    family(out, "process_open_fds", "gauge", "Number of open file descriptors");
    out << "process_open_fds " << s->open_fds << '\n';
    family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors");
    out << "process_max_fds " << s->max_fds << '\n';
    family(out, "process_start_time_seconds", "gauge",
           "Start time of the process since the Unix epoch in seconds");
    out << "process_start_time_seconds " << s->start_time_seconds << '\n';
  }
  // version() is "0.1.0 (df3eb2c)": the label values carry no spaces or parentheses.
  const std::string full = version();
  const auto space = full.find(' ');
  std::string commit;
  if (space != std::string::npos) {
    commit = full.substr(space + 1);
    if (commit.size() >= 2 && commit.front() == '(' && commit.back() == ')') {
      commit = commit.substr(1, commit.size() - 2);
    }
  }
  family(out, "snet_build_info", "gauge", "The version of this build (always 1)");
  out << "snet_build_info{" << metric_label("version", full.substr(0, space)) << ','
      << metric_label("commit", commit) << "} 1\n";
  return out.str();
}

}  // namespace snet
