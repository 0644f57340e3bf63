// The pure half of `snet ctl`: which state-service request a command line means, where the
// state service is asked, and how a duration is written. No I/O.
// Thread safety: reentrant.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace snet::cli {

struct CtlRequest {
  enum class Shows { services, service, fault };
  std::string method;
  std::string path;  // e.g. /api/services/relayer/kill
  std::string body;  // JSON, or empty
  Shows shows = Shows::fault;
};

/// `services` | SERVICE VERB | `device` ID VERB | `storm` [ID...]. `for_text` is --for (""
/// when absent), `kind` is --kind (storm only). Throws snet::UsageError naming what is wrong.
CtlRequest parse_ctl_command(const std::vector<std::string>& words, const std::string& for_text,
                             const std::string& kind);

/// "2s", "500ms", "1.5s", "1m" or a bare number of milliseconds. Throws snet::UsageError.
std::chrono::milliseconds parse_ctl_duration(const std::string& text);

}  // namespace snet::cli
