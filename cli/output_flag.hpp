// `-o FILE`, the short form of `--output FILE` for the commands that write a file (compose,
// stack): the arguments with it spelled out, ready for Flags::parse.
#pragma once

#include <string>
#include <vector>

namespace snet::cli {

std::vector<std::string> with_long_output_flag(int argc, const char* const* argv);

}  // namespace snet::cli
