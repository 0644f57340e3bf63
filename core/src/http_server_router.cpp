// The socket-free half of the HTTP server: requests, responses, routing and static files.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "snet/http_server.hpp"

namespace snet::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; in a query, '+' is a space too.
std::string decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        throw std::invalid_argument("bad percent-encoding in '" + std::string(text) + "'");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = path.empty() || path[0] != '/' ? 0 : 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
             std::map<std::string, std::string>* params) {
  if (pattern.size() != segments.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (segments[i].empty()) return false;
      found[p.substr(1, p.size() - 2)] = segments[i];
    } else if (p != segments[i]) {
      return false;
    }
  }
  if (params != nullptr) params->merge(found);
  return true;
}

AsyncHandler wrap(Handler handler) {
  return [handler = std::move(handler)](Request request, Reply reply) { reply(handler(request)); };
}

}  // namespace

std::string Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

Request Request::make(std::string method, std::string target, std::string body) {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  if (r.target.empty() || r.target[0] != '/') {
    throw std::invalid_argument("request target '" + r.target + "' must start with '/'");
  }
  const std::size_t q = r.target.find('?');
  r.path = decode(std::string_view(r.target).substr(0, q), /*plus_is_space=*/false);
  if (r.path.find('\0') != std::string::npos) {
    throw std::invalid_argument("request path contains a NUL byte");
  }
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(r.target).substr(q + 1);
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      r.query[decode(pair.substr(0, eq), true)] =
          eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1), true);
    }
  }
  return r;
}

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response error_response(int status, std::string_view message) {
  return json_response(status, {{"error", message}});
}

Response text_response(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

Router& Router::route(std::string method, std::string pattern, Handler handler) {
  return route_async(std::move(method), std::move(pattern), wrap(std::move(handler)));
}

Router& Router::route_async(std::string method, std::string pattern, AsyncHandler handler) {
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(handler)});
  return *this;
}

Router& Router::fallback(AsyncHandler handler) {
  fallback_ = std::move(handler);
  return *this;
}

void Router::dispatch(Request request, Reply reply) const {
  const std::vector<std::string> segments = split_path(request.path);
  const std::string& method = request.method == "HEAD" ? std::string("GET") : request.method;
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (!matches(route.segments, segments, nullptr)) continue;
    if (route.method == method) {
      matches(route.segments, segments, &request.params);
      route.handler(std::move(request), std::move(reply));
      return;
    }
    allowed.push_back(route.method);
  }
  if (!allowed.empty()) {
    if (std::find(allowed.begin(), allowed.end(), "GET") != allowed.end()) {
      allowed.push_back("HEAD");
    }
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    Response r = error_response(405, "method " + request.method + " is not allowed on " +
                                         request.path + " (use " + allow + ")");
    r.headers.emplace_back("Allow", allow);
    reply(std::move(r));
    return;
  }
  if (fallback_) {
    fallback_(std::move(request), std::move(reply));
    return;
  }
  reply(error_response(404, "no such resource: " + request.path));
}

Response Router::handle(Request request) const {
  std::optional<Response> out;
  dispatch(std::move(request), [&out](Response r) {
    if (!out) out = std::move(r);
  });
  if (!out) throw std::logic_error("the handler did not reply before returning");
  return std::move(*out);
}

std::string_view mime_type(std::string_view path) {
  static const std::map<std::string, std::string_view, std::less<>> types = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".wasm", "application/wasm"},
  };
  const std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || path.find('/', dot) != std::string_view::npos) {
    return "application/octet-stream";
  }
  std::string ext(path.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}

Response static_file(const std::string& root, const Request& request) {
  namespace fs = std::filesystem;
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = error_response(405, "method " + request.method + " is not allowed on " +
                                         request.path + " (use GET, HEAD)");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const Response not_found = error_response(404, "no such file: " + request.path);
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return not_found;
  std::string relative = request.path;
  if (relative.empty() || relative.back() == '/') relative += "index.html";
  // Reject ".." before touching the disk, then make sure symlinks did not lead outside either.
  for (const auto& part : fs::path(relative)) {
    if (part == "..") return not_found;
  }
  const fs::path file = fs::weakly_canonical(base / fs::path(relative).relative_path(), ec);
  if (ec) return not_found;
  const auto [root_end, unused] = std::mismatch(base.begin(), base.end(), file.begin(), file.end());
  if (root_end != base.end() || !fs::is_regular_file(file, ec)) return not_found;
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found;
  std::ostringstream content;
  content << in.rdbuf();
  Response r;
  r.content_type = std::string(mime_type(file.filename().string()));
  r.body = content.str();
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace snet::http
