// A request as Beast parses it -> the application's Request (to_request, which the server's
// sessions and the HTTP fuzz target share): target split and decoded, header names in lower
// case, repeated fields joined, the peer's address; a malformed target refused.
#include <doctest/doctest.h>

#include "http_server_internal.hpp"

namespace bhttp = boost::beast::http;
using snet::http::detail::to_request;

namespace {

bhttp::request<bhttp::string_body> parsed(std::string_view text) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(text.data(), text.size()), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(parser.is_done());
  return parser.release();
}

}  // namespace

TEST_CASE("to_request: method, decoded path and query, lower-case headers, body, peer") {
  auto raw = parsed(
      "POST /api/x%20y?limit=3&kind=a+b HTTP/1.1\r\n"
      "Host: h\r\nX-Thing: 1\r\nx-thing: 2\r\n"
      "Content-Length: 2\r\n\r\n{}");
  const auto request = to_request(raw, "10.0.0.1:5000");
  CHECK(request.method == "POST");
  CHECK(request.target == "/api/x%20y?limit=3&kind=a+b");
  CHECK(request.path == "/api/x y");
  CHECK(request.query.at("limit") == "3");
  CHECK(request.query.at("kind") == "a b");
  CHECK(request.header("host") == "h");
  CHECK(request.header("x-thing") == "1, 2");
  CHECK(request.body == "{}");
  CHECK(request.remote == "10.0.0.1:5000");
}

TEST_CASE("to_request refuses a target that is no path, naming it") {
  auto star = parsed("GET * HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK_THROWS_WITH_AS(to_request(star, ""), doctest::Contains("must start with '/'"),
                       std::invalid_argument);
  auto nul = parsed("GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK_THROWS_WITH_AS(to_request(nul, ""), doctest::Contains("NUL"), std::invalid_argument);
}
