// Shared by the fuzz targets (fuzz/): an invariant check that stops the run with a report, so
// libFuzzer keeps the input as a crash, and a reader that splits one input into fields.
// Each target defines LLVMFuzzerTestOneInput; built with SNET_FUZZ they link libFuzzer, else
// replay_main.cpp, which runs them over their seed corpus (unit tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace snet::fuzz {

[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n", file, line, what);
  std::abort();
}

/// Splits an input into fields: length-prefixed strings (clamped to what is left), single
/// bytes, and the rest. Reading past the end gives empty fields, never an error.
class Fields {
 public:
  Fields(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }
  /// [u8 length][bytes]
  std::string_view short_string() { return take(byte()); }
  /// [u16 big-endian length][bytes]
  std::string_view long_string() {
    const std::size_t high = byte();
    return take(high << 8 | byte());
  }
  std::string_view rest() { return take(rest_.size()); }

 private:
  std::string_view take(std::size_t n) {
    const auto out = rest_.substr(0, n);
    rest_.remove_prefix(out.size());
    return out;
  }
  std::string_view rest_;
};

}  // namespace snet::fuzz

/// Aborts with the condition's text when it does not hold (an input that breaks a promise of
/// the code under test is a finding like a crash).
#define SNET_FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::snet::fuzz::invariant_failed(#condition, __FILE__, __LINE__))
