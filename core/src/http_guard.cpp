// The request guard (snet/http_guard.hpp): Host, Origin and bearer-token checks as pure
// functions of a Request.
#include "snet/http_guard.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "snet/atomic_file.hpp"

namespace snet::http {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string_view unbracket(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Compared in full whatever the first difference: the time taken says nothing about the token.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

// "host[:port]" with an optional bracketed IPv6 host; the port is digits only.
std::optional<Authority> split_authority(std::string_view text) {
  if (text.empty()) return std::nullopt;
  Authority out;
  std::string_view port;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = lower(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
    if (!is_ip_literal(out.host)) return std::nullopt;
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      if (text.find(':') != colon) return std::nullopt;  // unbracketed IPv6: ambiguous
      port = text.substr(colon + 1);
      if (port.empty()) return std::nullopt;
      text = text.substr(0, colon);
    }
    if (text.empty()) return std::nullopt;
    for (const char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (!std::isalnum(u) && c != '-' && c != '.' && c != '_') return std::nullopt;
    }
    out.host = lower(text);
  }
  if (!port.empty()) {
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return std::nullopt;
    }
    out.port = value;
  }
  return out;
}

std::string origin_text(std::string_view origin) {
  std::string out = lower(trim(origin));
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

Refusal refuse(std::string reason, int status, const std::string& message) {
  return Refusal{std::move(reason), error_response(status, message)};
}

}  // namespace

bool is_ip_literal(std::string_view host) {
  const std::string text(unbracket(host));
  std::array<unsigned char, 16> buffer{};
  return ::inet_pton(AF_INET, text.c_str(), buffer.data()) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1;
}

bool is_loopback(std::string_view host) {
  const std::string name = lower(unbracket(host));
  if (name == "localhost" || ends_with(name, ".localhost")) return true;
  std::array<unsigned char, 16> v6{};
  in_addr v4{};
  if (::inet_pton(AF_INET, name.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  if (::inet_pton(AF_INET6, name.c_str(), v6.data()) == 1) {
    static constexpr std::array<unsigned char, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                             0, 0, 0, 0, 0, 0, 0, 1};
    if (v6 == kLoopback) return true;
    // ::ffff:127.x.y.z, an IPv4 loopback address seen through an IPv6 socket.
    const bool mapped = std::all_of(v6.begin(), v6.begin() + 10, [](auto b) { return b == 0; }) &&
                        v6[10] == 0xff && v6[11] == 0xff;
    return mapped && v6[12] == 127;
  }
  return false;
}

bool is_loopback_bind(std::string_view bind_address) {
  return !bind_address.empty() && is_loopback(bind_address);
}

std::optional<Authority> parse_host_header(std::string_view value) {
  return split_authority(trim(value));
}

std::optional<Authority> parse_origin(std::string_view value) {
  const std::string text = origin_text(value);
  int default_port = 0;
  std::string_view rest;
  if (text.rfind("http://", 0) == 0) {
    default_port = 80;
    rest = std::string_view(text).substr(7);
  } else if (text.rfind("https://", 0) == 0) {
    default_port = 443;
    rest = std::string_view(text).substr(8);
  } else {
    return std::nullopt;  // "null" (a sandboxed or file: page) and every other scheme
  }
  auto out = split_authority(rest);
  if (out && out->port == 0) out->port = default_port;
  return out;
}

std::optional<TokenMode> parse_token_mode(std::string_view text) {
  if (text == "auto") return TokenMode::automatic;
  if (text == "always") return TokenMode::always;
  if (text == "never") return TokenMode::never;
  return std::nullopt;
}

bool token_required(TokenMode mode, std::string_view bind_address) {
  switch (mode) {
    case TokenMode::always:
      return true;
    case TokenMode::never:
      return false;
    case TokenMode::automatic:
      break;
  }
  return !is_loopback_bind(bind_address);
}

bool is_mutating(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

bool from_loopback(const Request& request) {
  const std::size_t colon = request.remote.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  return is_loopback(std::string_view(request.remote).substr(0, colon));
}

std::string random_token() {
  std::ifstream in("/dev/urandom", std::ios::binary);
  std::array<unsigned char, 32> bytes{};
  if (!in.read(reinterpret_cast<char*>(bytes.data()), bytes.size())) {
    throw std::runtime_error("cannot read /dev/urandom for a token");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string read_token_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw std::runtime_error("cannot read the token file " + path + ": it does not exist");
  }
  if ((info.st_mode & 077) != 0) {
    throw std::runtime_error("the token file " + path +
                             " may be read by others than its owner: chmod 600 it");
  }
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line))
    throw std::runtime_error("cannot read the token file " + path);
  const std::string token(trim(line));
  if (token.empty()) throw std::runtime_error("the token file " + path + " holds no token");
  return token;
}

std::string ensure_token_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return read_token_file(path);
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const std::string token = random_token();
  write_file_atomically(path, token + "\n", 0600);
  return token;
}

RequestGuard::RequestGuard(GuardOptions options) : options_(std::move(options)) {
  for (auto& origin : options_.allowed_origins) {
    origin = origin_text(origin);
    if (origin == "*" || origin.find('*') != std::string::npos) {
      throw std::invalid_argument("allowed origin '" + origin +
                                  "': no wildcards, name each origin (http://host:port)");
    }
    if (!parse_origin(origin) || origin.find('/', origin.find("//") + 2) != std::string::npos) {
      throw std::invalid_argument("allowed origin '" + origin +
                                  "' is not an origin like http://host:port or https://host");
    }
  }
  for (const auto& host : options_.allowed_hosts) {
    if (trim(host).empty()) throw std::invalid_argument("an allowed host name is empty");
    host_names_.push_back(lower(unbracket(trim(host))));
  }
  if (!options_.bind_address.empty())
    host_names_.push_back(lower(unbracket(options_.bind_address)));
  // This machine's own name: a page cannot make a browser send it for a name of the attacker's.
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) == 0 && name[0] != '\0') {
    host_names_.push_back(lower(name.data()));
  }
}

bool RequestGuard::host_allowed(const Authority& host) const {
  if (is_loopback(host.host) || is_ip_literal(host.host)) return true;
  return std::find(host_names_.begin(), host_names_.end(), host.host) != host_names_.end();
}

bool RequestGuard::origin_allowed(const Request& request) const {
  const std::string origin = request.header("origin");
  if (origin.empty()) return true;
  const std::string text = origin_text(origin);
  if (std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), text) !=
      options_.allowed_origins.end()) {
    return true;
  }
  const auto from = parse_origin(origin);
  const auto to = parse_host_header(request.header("host"));
  if (!from || !to || from->host != to->host) return false;
  // A Host without a port was sent to the scheme's default port, which only the origin knows.
  return to->port == 0 ? (from->port == 80 || from->port == 443) : from->port == to->port;
}

std::optional<Refusal> RequestGuard::check(const Request& request) const {
  const std::string host_header = request.header("host");
  if (!host_header.empty()) {  // HTTP/1.0 clients may send none; browsers always do
    const auto host = parse_host_header(host_header);
    if (!host || !host_allowed(*host)) {
      return refuse("foreign_host", 421,
                    "Host '" + host_header +
                        "' is not a name of this server (a DNS rebinding attempt?): use "
                        "localhost, an IP address, or a name allowed with --allowed-host");
    }
  }
  const bool upgrade = lower(request.header("upgrade")).find("websocket") != std::string::npos;
  if (upgrade && !origin_allowed(request)) {
    return refuse("websocket_foreign_origin", 403,
                  "WebSocket from origin '" + request.header("origin") +
                      "' refused: only this server's own pages (or an origin allowed with "
                      "--allowed-origin) may open it");
  }
  if (!is_mutating(request.method)) return std::nullopt;
  if (!origin_allowed(request)) {
    return refuse("foreign_origin", 403,
                  "cross-origin " + request.method + " refused: origin '" +
                      request.header("origin") + "' is not this server's (Host '" + host_header +
                      "') nor allowed with --allowed-origin");
  }
  if (!options_.require_token) return std::nullopt;
  const std::string authorization = request.header("authorization");
  static constexpr std::string_view kBearer = "bearer ";
  const bool bearer = authorization.size() > kBearer.size() &&
                      lower(std::string_view(authorization).substr(0, kBearer.size())) == kBearer;
  if (!bearer) {
    Refusal r = refuse("token_missing", 401,
                       request.method + " " + request.path +
                           " needs 'Authorization: Bearer <token>' (this server is reachable "
                           "from other hosts; `snet up` prints the token)");
    r.response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  const std::string_view given = trim(std::string_view(authorization).substr(kBearer.size()));
  if (options_.token.empty() || !same_secret(given, options_.token)) {
    Refusal r = refuse("token_wrong", 401,
                       "the bearer token of " + request.method + " " + request.path +
                           " is not this server's (`snet up` prints it)");
    r.response.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return r;
  }
  return std::nullopt;
}

}  // namespace snet::http
