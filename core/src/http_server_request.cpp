// A request as Beast parsed it -> the application's Request (http_server_internal.hpp).
#include <algorithm>
#include <cctype>

#include "http_server_internal.hpp"

namespace snet::http::detail {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Request to_request(bhttp::request<bhttp::string_body>& raw, std::string remote) {
  Request request = Request::make(std::string(raw.method_string()), std::string(raw.target()),
                                  std::move(raw.body()));
  for (const auto& field : raw) {
    std::string& value = request.headers[lower(field.name_string())];
    value += (value.empty() ? "" : ", ") + std::string(field.value());
  }
  request.remote = std::move(remote);
  return request;
}

}  // namespace snet::http::detail
