// WebSocketSession (Beast's chat-multi websocket_session with a bounded queue) and WebSocketHub.
#include "http_server_internal.hpp"
#include "snet/log.hpp"

namespace snet::http {

void WebSocketHub::join(const std::shared_ptr<WebSocket>& client) {
  std::lock_guard lock(mutex_);
  members_[client->id()] = client;
}

void WebSocketHub::leave(const WebSocket& client) {
  std::lock_guard lock(mutex_);
  members_.erase(client.id());
}

void WebSocketHub::broadcast(const std::shared_ptr<const std::string>& text) {
  std::vector<std::weak_ptr<WebSocket>> members;
  {
    std::lock_guard lock(mutex_);
    members.reserve(members_.size());
    for (auto it = members_.begin(); it != members_.end();) {
      if (it->second.expired()) {
        it = members_.erase(it);
      } else {
        members.push_back(it->second);
        ++it;
      }
    }
  }
  for (const auto& weak : members) {
    if (auto client = weak.lock()) client->send(text);
  }
}

std::size_t WebSocketHub::size() const {
  std::lock_guard lock(mutex_);
  return members_.size();
}

namespace detail {

WebSocketSession::WebSocketSession(tcp::socket&& socket, std::shared_ptr<ServerCore> core)
    : ws_(std::move(socket)), core_(std::move(core)) {}

WebSocketSession::~WebSocketSession() {
  if (opened_ && !finished_) --core_->websocket_clients;
  core_->remove(id_);
}

void WebSocketSession::run(bhttp::request<bhttp::string_body> upgrade) {
  target_ = std::string(upgrade.target());
  id_ = core_->add(weak_from_this());
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [name = core_->options.server_name](websocket::response_type& res) {
        res.set(bhttp::field::server, name);
      }));
  ws_.read_message_max(core_->options.websocket_message_limit);
  ws_.async_accept(upgrade,
                   beast::bind_front_handler(&WebSocketSession::on_accept, shared_from_this()));
}

void WebSocketSession::on_accept(beast::error_code ec) {
  if (ec) return report(ec, "websocket accept");
  if (closing_) return;  // the server stopped during the handshake
  opened_ = true;
  ++core_->websocket_clients;
  if (core_->websocket.on_open) {
    try {
      core_->websocket.on_open(shared_from_this());
    } catch (const std::exception& e) {
      log::error("websocket: on_open failed: ", e.what());
      return start_close(websocket::close_code::internal_error);
    }
  }
  do_read();
}

void WebSocketSession::do_read() {
  ws_.async_read(buffer_,
                 beast::bind_front_handler(&WebSocketSession::on_read, shared_from_this()));
}

void WebSocketSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) return finish(ec, "websocket read");
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  if (core_->websocket.on_message) {
    try {
      core_->websocket.on_message(shared_from_this(), std::move(text));
    } catch (const std::exception& e) {
      log::error("websocket: on_message failed: ", e.what());
    }
  }
  do_read();
}

void WebSocketSession::send(std::shared_ptr<const std::string> text) {
  core_->post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
    self->enqueue(std::move(text));
  });
}

void WebSocketSession::close() {
  core_->post(ws_.get_executor(),
              [self = shared_from_this()] { self->start_close(websocket::close_code::normal); });
}

void WebSocketSession::shutdown() {
  core_->post(ws_.get_executor(), [self = shared_from_this()] {
    self->start_close(websocket::close_code::going_away);
  });
}

void WebSocketSession::force_close() {
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

void WebSocketSession::enqueue(std::shared_ptr<const std::string> text) {
  if (closing_ || !opened_) return;
  if (queue_.size() >= core_->options.websocket_queue_limit) {
    // Buffering for a client that does not read would grow without bound: drop it instead.
    ++core_->websockets_dropped;
    log::warn("websocket: dropping client ", id_, ": ", queue_.size(),
              " messages wait for it (it reads too slowly)");
    closing_ = true;
    beast::get_lowest_layer(ws_).close();
    return;
  }
  queue_.push_back(std::move(text));
  if (queue_.size() == 1) do_write();
}

void WebSocketSession::do_write() {
  ws_.text(true);
  ws_.async_write(net::buffer(*queue_.front()),
                  beast::bind_front_handler(&WebSocketSession::on_write, shared_from_this()));
}

void WebSocketSession::on_write(beast::error_code ec, std::size_t) {
  if (ec) return finish(ec, "websocket write");
  queue_.pop_front();
  if (!queue_.empty() && !closing_) do_write();
}

void WebSocketSession::start_close(websocket::close_code code) {
  if (closing_) return;
  closing_ = true;
  if (!opened_) {  // still in the handshake: just drop the connection
    beast::get_lowest_layer(ws_).close();
    return;
  }
  ws_.async_close(code, [self = shared_from_this()](beast::error_code ec) {
    if (ec) report(ec, "websocket close");
  });
}

void WebSocketSession::finish(const beast::error_code& ec, const char* what) {
  report(ec, what);
  closing_ = true;
  beast::get_lowest_layer(ws_).close();
  if (!opened_ || finished_) return;
  finished_ = true;
  --core_->websocket_clients;
  if (core_->websocket.on_close) {
    try {
      core_->websocket.on_close(shared_from_this());
    } catch (const std::exception& e) {
      log::error("websocket: on_close failed: ", e.what());
    }
  }
}

}  // namespace detail
}  // namespace snet::http
