#include "snet/flags.hpp"

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>

#include "snet/version.hpp"

namespace snet {

Flags::Flags(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

Flags& Flags::add(std::string name, std::string env, std::string default_value, std::string help) {
  order_.push_back(name);
  specs_[std::move(name)] = Spec{std::move(env), std::move(default_value), std::move(help), false};
  return *this;
}

Flags& Flags::add_switch(std::string name, std::string env, std::string help) {
  order_.push_back(name);
  specs_[std::move(name)] = Spec{std::move(env), "false", std::move(help), true};
  return *this;
}

const Flags::Spec& Flags::spec(const std::string& name) const {
  auto it = specs_.find(name);
  if (it == specs_.end()) throw std::logic_error("flag --" + name + " was never declared");
  return it->second;
}

bool Flags::parse(int argc, const char* const* argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << help();
      return false;
    }
    if (arg == "--version") {
      // The program's name is the first word of its usage ("snet press BUTTON" -> "snet").
      std::cout << program_.substr(0, program_.find(' ')) << " " << version() << "\n";
      return false;
    }
    if (arg == "--") {
      for (++i; i < argc; ++i) positional_.emplace_back(argv[i]);
      break;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto it = specs_.find(name);
    if (it == specs_.end()) throw UsageError("unknown flag --" + name + " (see --help)");
    if (!value) {
      if (it->second.is_switch) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw UsageError("flag --" + name + " needs a value");
      }
    }
    values_[name] = *value;
  }
  return true;
}

std::vector<std::string> Flags::list(const std::string& name) const {
  std::vector<std::string> out;
  std::stringstream in(str(name));
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string Flags::str(const std::string& name) const {
  const Spec& s = spec(name);
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  if (!s.env.empty()) {
    if (const char* env = std::getenv(s.env.c_str()); env != nullptr && *env != '\0') return env;
  }
  return s.default_value;
}

bool Flags::given(const std::string& name) const {
  const Spec& s = spec(name);
  if (values_.count(name) != 0) return true;
  if (s.env.empty()) return false;
  const char* env = std::getenv(s.env.c_str());
  return env != nullptr && *env != '\0';
}

long Flags::integer(const std::string& name, long min, long max) const {
  const std::string text = str(name);
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < min || value > max) {
    std::ostringstream msg;
    msg << "--" << name << ": '" << text << "' is not a whole number from " << min << " to " << max;
    throw UsageError(msg.str());
  }
  return value;
}

bool Flags::on(const std::string& name) const {
  const std::string text = str(name);
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off" || text.empty()) return false;
  throw UsageError("--" + name + ": '" + text + "' is not true or false");
}

std::string Flags::help() const {
  std::ostringstream out;
  out << "usage: " << program_ << " [flags]\n" << summary_ << "\n\nflags:\n";
  for (const auto& name : order_) {
    const Spec& s = specs_.at(name);
    out << "  --" << name << (s.is_switch ? "" : " VALUE") << "\n      " << s.help;
    if (!s.is_switch && !s.default_value.empty()) out << " (default: " << s.default_value << ")";
    if (!s.env.empty()) out << " [env " << s.env << "]";
    out << "\n";
  }
  out << "  --help, --version\n      this text; the program's version\n";
  return out.str();
}

}  // namespace snet
