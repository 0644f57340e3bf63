// Thin RAII and helpers over libcurl for the OpenWhisk clients (the relayer's asynchronous
// backend and the blocking deploy/test client), so both build URLs and handles the same way.
// Thread safety: functions are reentrant; a handle belongs to one thread at a time.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <curl/curl.h>

namespace snet::openwhisk {

/// curl_global_init, once per process, before the first handle.
void ensure_curl_initialized();

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlMultiDeleter {
  void operator()(CURLM* handle) const { curl_multi_cleanup(handle); }
};
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;

struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

/// "host:3233" -> "https://host:3233" (wsk assumes https when no scheme is given); drops a
/// trailing slash.
std::string normalize_apihost(std::string apihost);

/// Percent-encodes one URL path segment (a namespace or an action name).
std::string escape_segment(std::string_view segment);

/// {apihost}/api/v1/namespaces/{ns}/{collection}/{name} (name may be empty for the collection).
std::string entity_url(const std::string& apihost, const std::string& ns,
                       const std::string& collection, const std::string& name);

/// Sets what every OpenWhisk request shares: Basic auth ("uuid:key"), JSON content type,
/// response body capture into `body`, timeouts and TLS verification.
void configure_request(CURL* easy, const std::string& auth, std::string& body, curl_slist* headers,
                       std::chrono::milliseconds timeout, std::chrono::milliseconds connect_timeout,
                       bool insecure_tls);

/// The JSON content-type header list used by every request.
CurlList json_headers();

/// A blocking request, for command-line tools and tests (not for the relayer's hot path).
struct HttpReply {
  long status = 0;  // 0 when no HTTP answer came
  std::string body;
  std::string error;                           // transport error text when status == 0
  std::map<std::string, std::string> headers;  // names in lower case
};
HttpReply http_call(const std::string& method, const std::string& url, const std::string& auth,
                    const std::string& body,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30),
                    bool insecure_tls = false);

}  // namespace snet::openwhisk
