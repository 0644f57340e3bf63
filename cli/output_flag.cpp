#include "output_flag.hpp"

namespace snet::cli {

std::vector<std::string> with_long_output_flag(int argc, const char* const* argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (auto& arg : args) {
    if (arg == "-o") arg = "--output";
  }
  return args;
}

}  // namespace snet::cli
