// Runs the kernel engine's tools (ip, tc, iptables-restore...) as child processes, bounded, with
// their output captured; scripts go through a temporary file (`ip -batch FILE`), so a whole
// namespace is set up by one process however many devices it has.
// Thread safety: free functions; concurrent calls are independent.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace snet::kernel {

struct ToolResult {
  int status = -1;     // exit status; -1: did not start or did not end in time
  std::string output;  // stdout and stderr together
  bool ok() const { return status == 0; }
};

/// Runs `argv` (argv[0] looked up in PATH) for at most `timeout`.
ToolResult run_tool(const std::vector<std::string>& argv,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));
/// Writes `script` to a temporary file and runs `argv` with its path appended.
ToolResult run_script(std::vector<std::string> argv, const std::string& script,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));
/// `argv` as a shell would show it, and the tool's output (for error messages).
std::string describe(const std::vector<std::string>& argv, const ToolResult& result);

}  // namespace snet::kernel
