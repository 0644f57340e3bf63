#include "snet/broker_credentials.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "snet/bus.hpp"
#include "snet/net.hpp"

namespace snet {
namespace {

std::string percent_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const std::string hex = text.substr(i + 1, 2);
      char* end = nullptr;
      const long value = std::strtol(hex.c_str(), &end, 16);
      if (end == hex.c_str() + 2) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string percent_encoded(const std::string& text) {
  std::string encoded;
  for (char c : text) {
    if (unreserved(c)) {
      encoded.push_back(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(c);
      encoded += {'%', hex[byte >> 4], hex[byte & 15]};
    }
  }
  return encoded;
}

std::string getenv_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::string read_secret_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw std::invalid_argument("password file '" + path + "' cannot be read");
  }
  if (!S_ISREG(info.st_mode)) {
    throw std::invalid_argument("password file '" + path + "' is not a regular file");
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    std::ostringstream mode;
    mode << std::oct << (info.st_mode & 0777);
    throw std::invalid_argument("password file '" + path + "' has mode 0" + mode.str() +
                                ": group or others may use it (chmod 600 it)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("password file '" + path + "' cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) throw std::invalid_argument("password file '" + path + "' is empty");
  return secret;
}

std::map<std::string, std::string> parse_credentials(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    const auto colon = line.find(':');
    if (colon == 0 || colon == std::string::npos || colon + 1 == line.size()) {
      throw std::invalid_argument("credentials line " + std::to_string(number) +
                                  ": expected user:password");
    }
    if (!out.emplace(line.substr(0, colon), line.substr(colon + 1)).second) {
      throw std::invalid_argument("credentials line " + std::to_string(number) + ": user '" +
                                  line.substr(0, colon) + "' appears twice");
    }
  }
  return out;
}

std::map<std::string, std::string> read_credentials_file(const std::string& path) {
  try {
    return parse_credentials(read_secret_file(path));
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    if (what.rfind("credentials line", 0) == 0) throw std::invalid_argument(path + ": " + what);
    throw;
  }
}

std::string format_credentials(const std::map<std::string, std::string>& credentials) {
  std::string out;
  for (const auto& [user, password] : credentials) out += user + ":" + password + "\n";
  return out;
}

std::string broker_password(const std::string& file, const std::string& env_password,
                            const std::function<std::string(const std::string&)>& read) {
  if (file.empty()) return env_password;
  if (!env_password.empty()) {
    throw std::invalid_argument(std::string("both a broker password file (") +
                                kBrokerPasswordFileEnv + " or --broker-password-file) and " +
                                kBrokerPasswordEnv + " are set: give one");
  }
  return read ? read(file) : read_secret_file(file);
}

BusLogin bus_login(const std::string& url, const std::string& explicit_password,
                   const std::function<std::string()>& environment) {
  const HostPort parts = parse_url(url, 0);
  BusLogin login{percent_decoded(parts.user), explicit_password};
  if (login.password.empty()) login.password = percent_decoded(parts.password);
  if (login.password.empty() && !login.user.empty() && environment) {
    login.password = environment();
  }
  if (login.user.empty() && !login.password.empty()) {
    throw std::invalid_argument("broker URL '" + redacted_url(url) +
                                "': a password needs a user (scheme://USER@host:port)");
  }
  return login;
}

BusLogin bus_login(const BusOptions& options) {
  return bus_login(options.url, options.password, [] {
    return broker_password(getenv_or_empty(kBrokerPasswordFileEnv),
                           getenv_or_empty(kBrokerPasswordEnv));
  });
}

std::string with_url_password(const std::string& url, const std::string& password) {
  const HostPort parts = parse_url(url, 0);
  if (parts.user.empty()) {
    throw std::invalid_argument("URL '" + redacted_url(url) + "' names no user for a password");
  }
  const auto scheme_end = url.find("://");
  const std::size_t start = scheme_end + 3;
  const std::size_t at = url.find('@', start);
  return url.substr(0, start) + parts.user + ":" + percent_encoded(password) + url.substr(at);
}

std::string with_url_user(const std::string& url, const std::string& user) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    throw std::invalid_argument("URL '" + redacted_url(url) + "' has no scheme");
  }
  const std::size_t start = scheme_end + 3;
  const std::size_t authority_end = std::min(url.find('/', start), url.size());
  const std::size_t at = url.rfind('@', authority_end);
  const std::size_t host_start = at != std::string::npos && at >= start ? at + 1 : start;
  const std::string encoded = percent_encoded(user);
  return url.substr(0, start) + (encoded.empty() ? "" : encoded + "@") + url.substr(host_start);
}

}  // namespace snet
