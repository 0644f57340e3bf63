// What this process writes to stderr (our log) while a StderrCapture lives; stderr is a file
// meanwhile and restored after. For tests that assert a log line (a refusal must be logged).
#pragma once

#include <fcntl.h>
#include <unistd.h>
#include <cstdio>
#include <string>

#include "harness.hpp"

namespace snet::test {

class StderrCapture {
 public:
  StderrCapture() : path_(dir_.path() + "/stderr") {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    const int file = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (file >= 0) {
      ::dup2(file, STDERR_FILENO);
      ::close(file);
    }
  }
  ~StderrCapture() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  std::string text() const { return read_text(path_); }

 private:
  TempDir dir_{"snet-stderr"};
  std::string path_;
  int saved_ = -1;
};

}  // namespace snet::test
