#include "mqtt_transport.hpp"

#include <stdexcept>

#include <openssl/ssl.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include "snet/log.hpp"

namespace snet::detail {
namespace ssl = boost::asio::ssl;

TlsClient::TlsClient(const std::string& ca) : context(ssl::context::tls_client), ca_file(ca) {
  context.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                      ssl::context::no_tlsv1_1);
  context.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(ca_file, ec);
  }
  if (ec) {
    throw std::invalid_argument("CA file '" + (ca_file.empty() ? "(system trust store)" : ca_file) +
                                "' cannot be loaded: " + ec.message());
  }
}

void TlsClient::report_failure(const std::string& client_id, const std::string& host,
                               const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (reason == last_reason_) return;
    last_reason_ = reason;
  }
  log::error("mqtt ", client_id, ": TLS handshake with ", host, " failed (server verified with ",
             ca_file.empty() ? std::string("the system's trust store") : ca_file, "): ", reason,
             "; retrying");
}

void TlsTransport::renew(std::size_t node) {
  node_ = node < hosts_.size() ? node : 0;
  const std::string& host = hosts_.at(node_);
  stream_ = std::make_shared<Stream>(io_, client_->context);
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  if (ec) {  // a name, not an address: say which (SNI) for brokers that serve several
    SSL_set_tlsext_host_name(stream_->native_handle(), host.c_str());
  }
  // The certificate must name the host (or address) of the URL, not just chain to the CA.
  stream_->set_verify_callback(ssl::host_name_verification(host));
}

}  // namespace snet::detail
