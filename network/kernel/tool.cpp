#include "tool.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include "snet/process.hpp"

namespace snet::kernel {
namespace {

// A temporary file removed when the object goes away.
class TempFile {
 public:
  TempFile() {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern =
        std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/snet-kernel-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp " + pattern);
    ::close(fd);
    path_ = pattern;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

ToolResult run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  ToolResult result;
  try {
    TempFile output;
    ChildProcess::Options options;
    options.stdout_path = output.path();
    options.stderr_path = "=stdout";
    ChildProcess child(argv, options);
    if (!child.wait_for(timeout)) {
      child.stop(std::chrono::milliseconds(100));
      result.output = read_all(output.path()) + "(did not finish in " +
                      std::to_string(timeout.count()) + " ms)";
      return result;
    }
    const int status = child.exit_status().value_or(-1);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.output = read_all(output.path());
  } catch (const std::exception& e) {
    result.output = e.what();
  }
  return result;
}

ToolResult run_script(std::vector<std::string> argv, const std::string& script,
                      std::chrono::milliseconds timeout) {
  try {
    TempFile file;
    std::ofstream(file.path()) << script;
    argv.push_back(file.path());
    return run_tool(argv, timeout);
  } catch (const std::exception& e) {
    return {-1, e.what()};
  }
}

std::string describe(const std::vector<std::string>& argv, const ToolResult& result) {
  std::string text;
  for (const auto& arg : argv) text += (text.empty() ? "" : " ") + arg;
  std::string output = result.output;
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  if (output.size() > 600) output = output.substr(0, 600) + "...";
  return "`" + text + "` failed" +
         (result.status >= 0 ? " (exit " + std::to_string(result.status) + ")" : "") +
         (output.empty() ? "" : ": " + output);
}

}  // namespace snet::kernel
