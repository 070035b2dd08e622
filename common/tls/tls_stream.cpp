#include "common/tls/tls_stream.hpp"

#include <algorithm>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace ward::tls {

namespace {

constexpr std::size_t kPlaintextChunk = 16 * 1024;  // one TLS record

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// Alerts and errors that mean "your certificate (or mine) was not accepted".
bool is_certificate_failure(unsigned long err) {
  if (err == 0 || ERR_GET_LIB(err) != ERR_LIB_SSL) return false;
  switch (ERR_GET_REASON(err)) {
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return true;
    default:
      return false;
  }
}

}  // namespace

TlsStream::TlsStream(PassKey, uv::Loop& loop, uv::ByteStreamPtr inner,
                     std::shared_ptr<TlsContext> ctx)
    : loop_(loop), inner_(std::move(inner)), ctx_(std::move(ctx)) {}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // frees both BIOs and wipes the session keys
}

Status TlsStream::init(const HandshakeOptions& options) {
  ssl_ = SSL_new(ctx_->native());
  if (ssl_ == nullptr) return Error::internal("SSL_new failed");
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (rbio_ == nullptr || wbio_ == nullptr) {
    BIO_free(rbio_);
    BIO_free(wbio_);
    rbio_ = wbio_ = nullptr;
    return Error::internal("out of memory");
  }
  // An empty input BIO means "no data yet" (WANT_READ), not end of stream.
  BIO_set_mem_eof_return(rbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  if (ctx_->role() == Role::kServer) {
    SSL_set_accept_state(ssl_);
    return ok();
  }
  const std::string& name = options.server_name.empty() ? ctx_->server_name() : options.server_name;
  if (name.empty()) {
    return Error::invalid_argument("TLS client has no server name to verify");
  }
  if (is_ip_literal(name)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), name.c_str()) != 1) {
      ERR_clear_error();
      return Error::invalid_argument("bad server IP address " + quote(name));
    }
  } else {
    // SAN only: a certificate without a matching dNSName is refused even if its CN matches.
    SSL_set_hostflags(ssl_,
                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    if (SSL_set_tlsext_host_name(ssl_, name.c_str()) != 1 ||
        SSL_set1_host(ssl_, name.c_str()) != 1) {
      ERR_clear_error();
      return Error::invalid_argument("bad server name " + quote(name));
    }
  }
  SSL_set_connect_state(ssl_);
  return ok();
}

void TlsStream::begin(HandshakeCallback done, std::chrono::milliseconds timeout) {
  self_ = shared_from_this();
  handshake_done_ = std::move(done);
  std::weak_ptr<TlsStream> weak = self_;
  inner_->start(
      [weak](std::string_view data) {
        if (auto s = weak.lock()) s->on_inner_read(data);
      },
      [weak](const Status& why) {
        if (auto s = weak.lock()) s->on_inner_close(why);
      });
  handshake_timer_.emplace(loop_);
  handshake_timer_->start(timeout, [weak, timeout] {
    if (auto s = weak.lock()) {
      s->fail_handshake(Error::unavailable("TLS handshake timed out after " +
                                           std::to_string(timeout.count()) + " ms"),
                        /*abort_inner=*/true);
    }
  });
  loop_.defer([weak] {
    if (auto s = weak.lock(); s && s->state_ == State::kHandshaking) s->drive_handshake();
  });
}

std::shared_ptr<TlsStream> handshake(uv::Loop& loop, uv::ByteStreamPtr inner,
                                     std::shared_ptr<TlsContext> ctx, HandshakeCallback done,
                                     HandshakeOptions options) {
  auto stream =
      std::make_shared<TlsStream>(TlsStream::PassKey{}, loop, std::move(inner), std::move(ctx));
  Status st = stream->init(options);
  stream->begin(std::move(done), options.timeout);
  if (!st) stream->fail_handshake(std::move(st).error(), /*abort_inner=*/true);
  return stream;
}

void TlsStream::on_inner_read(std::string_view data) {
  if (state_ != State::kHandshaking && state_ != State::kOpen) return;
  if (BIO_ctrl_pending(rbio_) + data.size() > kMaxBufferedCiphertext) {
    Error err = Error::unavailable("peer sent more than 1 MiB of TLS data we could not process");
    if (state_ == State::kHandshaking) {
      fail_handshake(std::move(err), true);
    } else {
      state_ = State::kClosing;
      close_status_ = std::move(err);
      inner_->abort();
    }
    return;
  }
  if (BIO_write(rbio_, data.data(), static_cast<int>(data.size())) !=
      static_cast<int>(data.size())) {
    ERR_clear_error();
    fail_handshake(Error::internal("out of memory buffering TLS input"), true);
    return;
  }
  if (state_ == State::kHandshaking) {
    drive_handshake();
  } else {
    pump();
  }
}

void TlsStream::drive_handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    flush_output();  // our last flight (client Finished)
    state_ = State::kOpen;
    handshake_timer_.reset();
    X509* peer = SSL_get0_peer_certificate(ssl_);
    if (peer != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK) {
      int len = i2d_X509(peer, nullptr);
      if (len > 0) {
        std::string der(static_cast<std::size_t>(len), '\0');
        auto* p = reinterpret_cast<unsigned char*>(der.data());
        if (i2d_X509(peer, &p) == len) peer_der_ = std::move(der);
      }
    }
    if (ctx_->role() == Role::kClient && !peer_der_) {
      // Cannot happen with SSL_VERIFY_PEER; fail closed if it ever does.
      state_ = State::kHandshaking;
      fail_handshake(Error::unauthenticated("TLS handshake failed: server certificate missing"),
                     true);
      return;
    }
    update_inner_reading();  // paused until the user start()s
    auto done = std::move(handshake_done_);
    handshake_done_ = nullptr;
    auto self = shared_from_this();
    loop_.defer([done = std::move(done), self] {
      if (done) done(uv::ByteStreamPtr(self));
    });
    return;
  }
  int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ) {
    flush_output();
    return;
  }
  Error error = describe_failure(err, /*handshaking=*/true);
  fail_handshake(std::move(error), /*abort_inner=*/false);
}

void TlsStream::fail_handshake(Error error, bool abort_inner) {
  if (state_ != State::kHandshaking) return;
  state_ = State::kFailed;
  handshake_timer_.reset();
  if (abort_inner) {
    inner_->abort();
  } else {
    flush_output();  // the alert telling the peer why
    inner_->close();
  }
  auto done = std::move(handshake_done_);
  handshake_done_ = nullptr;
  loop_.defer([done = std::move(done), error = std::move(error)] {
    if (done) done(error);
  });
}

Error TlsStream::describe_failure(int ssl_error, bool handshaking) {
  long verify = SSL_get_verify_result(ssl_);
  unsigned long err = ERR_peek_last_error();
  std::string reason;
  if (verify != X509_V_OK) {
    reason = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  } else if (err != 0) {
    const char* text = ERR_reason_error_string(err);
    reason = text != nullptr ? text : "unknown TLS error";
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    reason = "unexpected end of stream";
  } else {
    reason = "TLS error " + std::to_string(ssl_error);
  }
  ERR_clear_error();
  const bool auth = handshaking || verify != X509_V_OK || is_certificate_failure(err);
  std::string msg = (handshaking ? "TLS handshake failed: " : "TLS connection failed: ") + reason;
  return auth ? Error::unauthenticated(std::move(msg)) : Error::unavailable(std::move(msg));
}

void TlsStream::start(ReadCallback on_read, CloseCallback on_close) {
  if (started_) return;
  started_ = true;
  on_read_ = std::move(on_read);
  on_close_ = std::move(on_close);
  if (state_ == State::kClosed) {
    auto self = shared_from_this();
    loop_.defer([self] { self->deliver_close(self->close_status_.value_or(ok())); });
    return;
  }
  schedule_pump();
}

void TlsStream::pause_reading() {
  paused_ = true;
  if (state_ == State::kOpen) inner_->pause_reading();
}

void TlsStream::resume_reading() {
  paused_ = false;
  schedule_pump();
}

void TlsStream::schedule_pump() {
  if (pump_scheduled_) return;
  pump_scheduled_ = true;
  std::weak_ptr<TlsStream> weak = shared_from_this();
  loop_.defer([weak] {
    if (auto s = weak.lock()) {
      s->pump_scheduled_ = false;
      s->pump();
    }
  });
}

void TlsStream::update_inner_reading() {
  if (state_ == State::kOpen && started_ && !paused_) {
    inner_->resume_reading();
  } else {
    inner_->pause_reading();
  }
}

void TlsStream::pump() {
  if (state_ != State::kOpen || in_pump_) return;
  in_pump_ = true;
  char buf[kPlaintextChunk];
  while (state_ == State::kOpen && started_ && !paused_) {
    ERR_clear_error();
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      if (on_read_) on_read_(std::string_view(buf, static_cast<std::size_t>(n)));
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) break;
    if (err == SSL_ERROR_ZERO_RETURN) {
      close_with(ok(), /*send_close_notify=*/true);  // the peer's close_notify
      break;
    }
    close_with(describe_failure(err, /*handshaking=*/false), /*send_close_notify=*/false);
    break;
  }
  in_pump_ = false;
  OPENSSL_cleanse(buf, sizeof buf);
  if (state_ == State::kOpen) {
    flush_output();  // e.g. a KeyUpdate answer
    update_inner_reading();
  }
}

void TlsStream::flush_output(WriteCallback done) {
  std::size_t pending = BIO_ctrl_pending(wbio_);
  std::weak_ptr<TlsStream> weak = shared_from_this();
  WriteCallback guarded;
  if (done) {
    guarded = [weak, done = std::move(done)](const Status& st) {
      auto s = weak.lock();
      if (!s || s->close_delivered_) return;  // nothing after on_close
      done(st);
    };
  }
  if (pending == 0) {
    if (guarded) loop_.defer([guarded = std::move(guarded)] { guarded(ok()); });
    return;
  }
  std::string out(pending, '\0');
  int n = BIO_read(wbio_, out.data(), static_cast<int>(pending));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  inner_->write(std::move(out), std::move(guarded));
}

void TlsStream::write(std::string data, WriteCallback done) {
  if (state_ != State::kOpen) {
    if (done) {
      std::weak_ptr<TlsStream> weak = shared_from_this();
      loop_.defer([weak, done = std::move(done)] {
        auto s = weak.lock();
        if (s && !s->close_delivered_) done(Error::unavailable("write on a closed stream"));
      });
    }
    return;
  }
  std::size_t off = 0;
  while (off < data.size()) {
    int chunk = static_cast<int>(std::min<std::size_t>(data.size() - off, 1u << 30));
    ERR_clear_error();
    int n = SSL_write(ssl_, data.data() + off, chunk);
    if (n <= 0) {
      Error err = describe_failure(SSL_get_error(ssl_, n), /*handshaking=*/false);
      close_with(err, /*send_close_notify=*/false);
      if (done) {
        loop_.defer([done = std::move(done), err] { done(err); });
      }
      return;
    }
    off += static_cast<std::size_t>(n);
  }
  flush_output(std::move(done));
}

std::size_t TlsStream::write_queue_bytes() const {
  return inner_->write_queue_bytes();
}

void TlsStream::close() {
  close_with(ok(), /*send_close_notify=*/true);
}

void TlsStream::close_with(Status why, bool send_close_notify) {
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;
  close_status_ = std::move(why);
  if (send_close_notify) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
  flush_output();
  inner_->close();
}

void TlsStream::abort() {
  if (state_ == State::kHandshaking) {
    fail_handshake(Error::unavailable("TLS handshake aborted"), /*abort_inner=*/true);
    return;
  }
  if (state_ != State::kOpen && state_ != State::kClosing) return;
  state_ = State::kClosing;
  close_status_ = Error::unavailable("connection aborted locally");
  inner_->abort();
}

void TlsStream::on_inner_close(const Status& why) {
  auto keep = std::move(self_);  // released when this returns (if nobody else holds us)
  switch (state_) {
    case State::kHandshaking: {
      std::string msg = "connection closed during the TLS handshake";
      if (!why) msg += ": " + why.error().message();
      fail_handshake(Error::unavailable(std::move(msg)), /*abort_inner=*/false);
      state_ = State::kClosed;
      return;
    }
    case State::kFailed:
      state_ = State::kClosed;
      return;
    case State::kOpen:
      state_ = State::kClosed;
      close_status_ =
          why.ok()
              ? Status(Error::unavailable("peer closed the connection without TLS close_notify"))
              : why;
      break;
    case State::kClosing:
      state_ = State::kClosed;
      if (!close_status_ || (close_status_->ok() && !why.ok())) close_status_ = why;
      break;
    case State::kClosed:
      return;
  }
  deliver_close(*close_status_);
}

void TlsStream::deliver_close(Status why) {
  if (close_delivered_ || !started_) return;
  close_delivered_ = true;
  auto cb = std::move(on_close_);
  on_close_ = nullptr;
  on_read_ = nullptr;
  if (cb) cb(why);
}

std::string TlsStream::protocol() const {
  return ssl_ ? SSL_get_version(ssl_) : "";
}

std::string TlsStream::cipher() const {
  const SSL_CIPHER* c = ssl_ ? SSL_get_current_cipher(ssl_) : nullptr;
  return c ? SSL_CIPHER_get_name(c) : "";
}

}  // namespace ward::tls
