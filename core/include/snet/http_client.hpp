// A minimal blocking HTTP/1.1 client (libcurl) for small JSON calls between our own programs:
// snet-state asking the supervisor of `snet up`, `snet ctl` asking snet-state. Every call is
// bounded by a timeout (connecting included) and never uses a proxy (the peers are local).
//
//   auto reply = snet::http::call("POST", "http://127.0.0.1:40123/services/relayer/kill");
//   if (reply.status == 0) std::cerr << reply.error;  // no HTTP answer: refused, timed out...
//
// Thread safety: call() may run on any thread, concurrently.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace snet::http {

struct ClientReply {
  int status = 0;     // 0 when no HTTP answer came
  std::string body;   // the response body (also for error statuses)
  std::string error;  // why there was no answer, when status == 0
};

/// Sends `body` as application/json when it is not empty (or the method is POST/PUT), unless
/// `headers` ("Name: value" lines, e.g. "Authorization: Bearer ...") give a Content-Type.
ClientReply call(const std::string& method, const std::string& url, const std::string& body = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(5),
                 const std::vector<std::string>& headers = {});

}  // namespace snet::http
