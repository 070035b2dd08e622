#include "common/tls/listener.hpp"

#include <unordered_map>

namespace ward::tls {

struct TlsListener::State : std::enable_shared_from_this<TlsListener::State> {
  uv::Loop* loop = nullptr;
  std::shared_ptr<TlsContext> ctx;
  AcceptCallback on_accept;
  ErrorCallback on_error;
  TlsListenerOptions options;
  std::unordered_map<const TlsStream*, std::weak_ptr<TlsStream>> pending;

  void accepted(uv::ByteStreamPtr tcp);
};

void TlsListener::State::accepted(uv::ByteStreamPtr tcp) {
  std::string peer = tcp->peer_address();
  if (pending.size() >= options.max_pending_handshakes) {
    tcp->abort();
    if (on_error) {
      on_error(Error::unavailable("too many TLS handshakes in progress (" +
                                  std::to_string(pending.size()) + ")"),
               peer);
    }
    return;
  }
  std::weak_ptr<State> weak = shared_from_this();
  auto key = std::make_shared<const TlsStream*>(nullptr);
  auto stream = handshake(
      *loop, std::move(tcp), ctx,
      [weak, key, peer](Result<uv::ByteStreamPtr> result) {
        auto state = weak.lock();
        if (!state) {  // listener destroyed meanwhile
          if (result) (*result)->abort();
          return;
        }
        state->pending.erase(*key);
        if (!result) {
          if (state->on_error) state->on_error(result.error(), peer);
          return;
        }
        if (state->on_accept) {
          state->on_accept(std::move(result).value());
        } else {
          (*result)->abort();
        }
      },
      HandshakeOptions{options.handshake_timeout, {}});
  *key = stream.get();
  pending.emplace(stream.get(), stream);
}

Result<TlsListener> TlsListener::listen(uv::Loop& loop, std::string_view host, std::uint16_t port,
                                        std::shared_ptr<TlsContext> ctx, AcceptCallback on_accept,
                                        ErrorCallback on_error, TlsListenerOptions options) {
  if (!ctx || ctx->role() != Role::kServer) {
    return Error::invalid_argument("TlsListener needs a server TlsContext");
  }
  auto state = std::make_shared<State>();
  state->loop = &loop;
  state->ctx = std::move(ctx);
  state->on_accept = std::move(on_accept);
  state->on_error = std::move(on_error);
  state->options = options;
  // The TCP listener never calls back after it is destroyed, and it dies before state.
  State* raw = state.get();
  WARD_ASSIGN_OR_RETURN(uv::TcpListener tcp,
                        uv::TcpListener::listen(loop, host, port, [raw](uv::ByteStreamPtr s) {
                          raw->accepted(std::move(s));
                        }));
  return TlsListener(std::move(state), std::make_unique<uv::TcpListener>(std::move(tcp)));
}

void TlsListener::shut() {
  tcp_.reset();
  if (!state_) return;
  auto pending = std::move(state_->pending);
  state_->pending.clear();
  state_->on_accept = nullptr;
  state_->on_error = nullptr;
  state_.reset();  // handshake callbacks now find no listener and report nothing
  for (auto& [key, weak] : pending) {
    if (auto s = weak.lock()) s->abort();
  }
}

TlsListener::~TlsListener() {
  shut();
}

TlsListener::TlsListener(TlsListener&& other) noexcept
    : state_(std::move(other.state_)), tcp_(std::move(other.tcp_)) {}

TlsListener& TlsListener::operator=(TlsListener&& other) noexcept {
  if (this != &other) {
    shut();
    state_ = std::move(other.state_);
    tcp_ = std::move(other.tcp_);
  }
  return *this;
}

Status TlsListener::set_context(std::shared_ptr<TlsContext> ctx) {
  if (!ctx || ctx->role() != Role::kServer) {
    return Error::invalid_argument("TlsListener needs a server TlsContext");
  }
  if (!state_) return Error::unavailable("TlsListener is closed");
  state_->ctx = std::move(ctx);
  return ok();
}

std::size_t TlsListener::pending_handshakes() const {
  return state_ ? state_->pending.size() : 0;
}

void connect_tls(uv::Loop& loop, std::string host, std::uint16_t port,
                 std::shared_ptr<TlsContext> ctx, uv::ConnectCallback cb,
                 ConnectTlsOptions options) {
  if (!ctx || ctx->role() != Role::kClient) {
    loop.defer([cb = std::move(cb)] {
      cb(Error::invalid_argument("connect_tls needs a client TlsContext"));
    });
    return;
  }
  std::string name = !options.server_name.empty()  ? options.server_name
                     : !ctx->server_name().empty() ? ctx->server_name()
                                                   : host;
  uv::Loop* lp = &loop;
  auto timeout = options.handshake_timeout;
  uv::connect_tcp(
      loop, std::move(host), port,
      [lp, ctx = std::move(ctx), cb = std::move(cb), name = std::move(name),
       timeout](Result<uv::ByteStreamPtr> tcp) mutable {
        if (!tcp) {
          cb(std::move(tcp).error());
          return;
        }
        handshake(*lp, std::move(tcp).value(), std::move(ctx), std::move(cb),
                  HandshakeOptions{timeout, std::move(name)});
      },
      options.connect_timeout);
}

}  // namespace ward::tls
