#include "curl_util.hpp"

#include <cctype>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace snet::openwhisk {
namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::size_t append_header(char* data, std::size_t size, std::size_t count, void* user) {
  const std::string line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    const auto b = value.find_first_not_of(" \t");
    const auto e = value.find_last_not_of(" \t\r\n");
    (*static_cast<std::map<std::string, std::string>*>(user))[name] =
        b == std::string::npos ? "" : value.substr(b, e - b + 1);
  }
  return size * count;
}

}  // namespace

void ensure_curl_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

std::string normalize_apihost(std::string apihost) {
  while (!apihost.empty() && apihost.back() == '/') apihost.pop_back();
  if (!apihost.empty() && apihost.find("://") == std::string::npos) apihost = "https://" + apihost;
  return apihost;
}

std::string escape_segment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : segment) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string entity_url(const std::string& apihost, const std::string& ns,
                       const std::string& collection, const std::string& name) {
  std::string url =
      normalize_apihost(apihost) + "/api/v1/namespaces/" + escape_segment(ns) + "/" + collection;
  if (!name.empty()) url += "/" + escape_segment(name);
  return url;
}

CurlList json_headers() {
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  list = curl_slist_append(list, "Accept: application/json");
  // curl would otherwise send "Expect: 100-continue" for larger bodies and wait a round trip.
  list = curl_slist_append(list, "Expect:");
  return CurlList(list);
}

void configure_request(CURL* easy, const std::string& auth, std::string& body, curl_slist* headers,
                       std::chrono::milliseconds timeout, std::chrono::milliseconds connect_timeout,
                       bool insecure_tls) {
  curl_easy_setopt(easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(easy, CURLOPT_USERPWD, auth.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "serverlessnet/0.1 (OpenWhisk client)");
  if (insecure_tls) {  // as `wsk -i`: self-signed certificates of local deployments
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

HttpReply http_call(const std::string& method, const std::string& url, const std::string& auth,
                    const std::string& body, std::chrono::milliseconds timeout, bool insecure_tls) {
  ensure_curl_initialized();
  CurlEasy easy(curl_easy_init());
  if (!easy) return {0, "", "curl_easy_init failed", {}};
  HttpReply reply;
  CurlList headers = json_headers();
  configure_request(easy.get(), auth, reply.body, headers.get(), timeout,
                    std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(5)),
                    insecure_tls);
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_HEADERFUNCTION, &append_header);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERDATA, &reply.headers);
  if (method == "PUT" || method == "POST") {
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  const CURLcode rc = curl_easy_perform(easy.get());
  if (rc != CURLE_OK) {
    reply.error = curl_easy_strerror(rc);
    reply.body.clear();
    return reply;
  }
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace snet::openwhisk
