// HttpSession: one HTTP/1.1 connection (Beast's advanced_server http_session, one request at a
// time: the next request is read only after the response is written, so nothing queues up).
#include "http_server_internal.hpp"
#include "snet/log.hpp"

namespace snet::http::detail {
namespace {

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

}  // namespace

HttpSession::HttpSession(tcp::socket&& socket, std::shared_ptr<ServerCore> core)
    : stream_(std::move(socket)), core_(std::move(core)), reply_timer_(stream_.get_executor()) {
  beast::error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
}

HttpSession::~HttpSession() {
  core_->remove(id_);
}

void HttpSession::run() {
  id_ = core_->add(weak_from_this());
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
}

void HttpSession::shutdown() {
  core_->post(stream_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->reply_timer_.cancel();
    self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    self->stream_.close();
  });
}

void HttpSession::force_close() {
  beast::error_code ec;
  stream_.socket().close(ec);
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(core_->options.body_limit);
  parser_->header_limit(static_cast<std::uint32_t>(core_->options.header_limit));
  head_ = false;
  stream_.expires_after(core_->options.read_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec == bhttp::error::end_of_stream) return do_close();
  if (ec == bhttp::error::body_limit) {
    version_ = parser_->get().version();
    return write(error_response(413, "request body exceeds the limit of " +
                                         std::to_string(core_->options.body_limit) + " bytes"),
                 true);
  }
  if (ec == bhttp::error::header_limit) {
    return write(error_response(431, "request header fields are too large"), true);
  }
  if (ec && is_parse_error(ec)) {
    return write(error_response(400, "malformed HTTP request: " + ec.message()), true);
  }
  if (ec) return report(ec, "http read");

  bhttp::request<bhttp::string_body> raw = parser_->release();
  version_ = raw.version();
  keep_alive_ = raw.keep_alive();
  head_ = raw.method() == bhttp::verb::head;
  const bool upgrade = websocket::is_upgrade(raw);
  Request request;
  try {
    request = to_request(raw, remote_);
  } catch (const std::invalid_argument& e) {
    return write(error_response(400, e.what()), !keep_alive_ || upgrade);
  }
  if (core_->options.guard) {
    std::optional<Response> refused;
    try {
      refused = core_->options.guard(request);
    } catch (const std::exception& e) {
      log::error("http: the request guard failed: ", e.what());
      refused = error_response(500, std::string("internal error: ") + e.what());
    }
    // A refused upgrade is answered as plain HTTP: no handshake, nothing of the feed is sent.
    if (refused) return write(std::move(*refused), !keep_alive_ || upgrade);
  }
  if (upgrade) {
    const std::string_view target = raw.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (!core_->options.websocket_path.empty() && path == core_->options.websocket_path) {
      stream_.expires_never();
      std::make_shared<WebSocketSession>(stream_.release_socket(), core_)->run(std::move(raw));
      return;
    }
    return write(error_response(404, "no WebSocket endpoint at " + std::string(path)), true);
  }
  dispatch(std::move(request));
}

void HttpSession::dispatch(Request request) {
  const std::uint64_t sequence = ++sequence_;
  awaiting_reply_ = true;
  reply_timer_.expires_after(core_->options.handler_timeout);
  reply_timer_.async_wait([self = shared_from_this(), sequence](beast::error_code ec) {
    if (ec) return;
    self->on_reply(
        sequence,
        error_response(503, "no answer within " +
                                std::to_string(self->core_->options.handler_timeout.count()) +
                                " ms"));
  });
  Reply reply = [weak = weak_from_this(), core = core_, executor = stream_.get_executor(),
                 sequence](Response response) {
    core->post(executor, [weak, sequence, response = std::move(response)]() mutable {
      if (auto self = weak.lock()) self->on_reply(sequence, std::move(response));
    });
  };
  const std::string what = request.method + " " + request.target;
  try {
    core_->handler(std::move(request), std::move(reply));
  } catch (const std::exception& e) {
    log::error("http: ", what, " failed: ", e.what());
    on_reply(sequence, error_response(500, std::string("internal error: ") + e.what()));
  }
}

void HttpSession::on_reply(std::uint64_t sequence, Response response) {
  if (!awaiting_reply_ || sequence != sequence_) return;  // late or repeated reply
  awaiting_reply_ = false;
  reply_timer_.cancel();
  write(std::move(response), !keep_alive_);
}

void HttpSession::write(Response response, bool close_after) {
  auto& res = response_.emplace(static_cast<bhttp::status>(response.status), version_);
  res.set(bhttp::field::server, core_->options.server_name);
  if (!response.content_type.empty()) res.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) res.set(name, value);
  res.keep_alive(!close_after);
  res.body() = std::move(response.body);
  res.prepare_payload();
  if (head_) {  // HEAD: the GET answer's headers, no body
    const auto length = res.body().size();
    res.body().clear();
    res.content_length(length);
  }
  stream_.expires_after(core_->options.read_timeout);
  bhttp::async_write(
      stream_, res,
      beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), res.need_eof()));
}

void HttpSession::on_write(bool close, beast::error_code ec, std::size_t) {
  if (ec) return report(ec, "http write");
  if (close) return do_close();
  response_.reset();
  do_read();
}

void HttpSession::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace snet::http::detail
