#include "snet/http_client.hpp"

#include <strings.h>

#include <memory>

#include <curl/curl.h>

namespace snet::http {
namespace {

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

ClientReply call(const std::string& method, const std::string& url, const std::string& body,
                 std::chrono::milliseconds timeout, const std::vector<std::string>& extra) {
  ClientReply reply;
  // libcurl >= 7.84 initialises itself thread-safely on first use.
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) {
    reply.error = "cannot create an HTTP client handle";
    return reply;
  }
  std::unique_ptr<curl_slist, ListDeleter> headers;
  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply.body);
  if (method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  bool typed = false;
  for (const auto& line : extra) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
    typed = typed || (line.size() >= 13 && strncasecmp(line.c_str(), "content-type:", 13) == 0);
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!typed) {
      headers.reset(curl_slist_append(headers.release(), "Content-Type: application/json"));
    }
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  if (headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    reply.body.clear();
    reply.error = curl_easy_strerror(code);
    return reply;
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  return reply;
}

}  // namespace snet::http
