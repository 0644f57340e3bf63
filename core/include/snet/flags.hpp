// Command-line flags with environment-variable fallbacks: a flag wins over its variable, which
// wins over the default. Every service declares its options here, so `--help` documents them all.
// Throws snet::UsageError (with the flag's name) on unknown flags or bad values.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace snet {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Flags {
 public:
  Flags(std::string program, std::string summary);

  /// Declares `--name VALUE` (also `--name=VALUE`); `env` may be empty for no variable.
  Flags& add(std::string name, std::string env, std::string default_value, std::string help);
  /// Declares a switch `--name` (value "true"), or `--name=false`.
  Flags& add_switch(std::string name, std::string env, std::string help);

  /// Parses argv[first..]. Returns false when --help or --version was asked for (already
  /// printed to stdout: the caller exits 0).
  bool parse(int argc, const char* const* argv, int first = 1);

  std::string str(const std::string& name) const;
  long integer(const std::string& name, long min, long max) const;
  /// The value as a comma-separated list, empty items left out.
  std::vector<std::string> list(const std::string& name) const;
  bool on(const std::string& name) const;
  /// True when the value came from the command line or the environment, not the default.
  bool given(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  std::string help() const;

 private:
  struct Spec {
    std::string env, default_value, help;
    bool is_switch = false;
  };
  const Spec& spec(const std::string& name) const;

  std::string program_, summary_;
  std::vector<std::string> order_;
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace snet
