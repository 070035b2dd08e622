// TlsStream: TLS 1.3 over any ByteStream, with OpenSSL driven through memory BIOs (the
// socket stays with the inner stream; OpenSSL only ever sees bytes in memory).
//
//   tls::handshake(loop, tcp_stream, ctx, [](Result<uv::ByteStreamPtr> r) {
//     if (!r) { /* r.error(): kUnauthenticated (why) or kUnavailable (timeout, EOF) */ }
//     auto s = *r;                         // verified; an ordinary ByteStream from here on
//     s->peer_certificate_der();           // the verified peer certificate, if any
//     s->start(on_read, on_close);
//   });
//
// Contract, beyond byte_stream.hpp:
// - The stream is handed out only after the handshake succeeded and the peer verified
//   (see context.hpp). A failed handshake never yields a stream: the callback gets
//   kUnauthenticated with the reason ("certificate verify failed: certificate has
//   expired", "peer did not return a certificate", "unsupported protocol", ...), or
//   kUnavailable for a timeout or a peer that went away; the inner stream is closed.
// - TLS 1.3 lets a client finish its handshake before the server has judged the client's
//   certificate. A server that refuses it sends an alert the client sees after the
//   handshake callback: on_close then reports kUnauthenticated with the alert's reason.
// - Bounded buffering: plaintext is handed to on_read as it is decrypted, one record at a
//   time; while reading is paused (or before start()) the inner stream is paused too, so a
//   peer cannot make us hold more than one inner read of ciphertext. More than
//   kMaxBufferedCiphertext undecrypted bytes closes the stream with an error.
// - close() sends close_notify, then closes the inner stream (flushing it). on_close is
//   ok() after the peer's close_notify or our close(); a peer that ends the connection
//   without close_notify (possible truncation) gets kUnavailable.
// - Write completions run when the inner stream has handed the ciphertext to the kernel.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <openssl/types.h>

#include "common/base/result.hpp"
#include "common/tls/context.hpp"
#include "common/uv/byte_stream.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/timer.hpp"

namespace ward::tls {

inline constexpr std::size_t kMaxBufferedCiphertext = 1024 * 1024;
inline constexpr std::chrono::milliseconds kDefaultHandshakeTimeout{10000};

struct HandshakeOptions {
  std::chrono::milliseconds timeout = kDefaultHandshakeTimeout;
  // Client: the name to verify in the server certificate. Empty: the context's server_name.
  std::string server_name;
};

using HandshakeCallback = std::function<void(Result<uv::ByteStreamPtr> stream)>;

class TlsStream final : public uv::ByteStream, public std::enable_shared_from_this<TlsStream> {
 public:
  struct PassKey {
   private:
    PassKey() = default;
    friend std::shared_ptr<TlsStream> handshake(uv::Loop&, uv::ByteStreamPtr,
                                                std::shared_ptr<TlsContext>, HandshakeCallback,
                                                HandshakeOptions);
  };
  TlsStream(PassKey, uv::Loop& loop, uv::ByteStreamPtr inner, std::shared_ptr<TlsContext> ctx);
  ~TlsStream() override;

  void start(ReadCallback on_read, CloseCallback on_close) override;
  void pause_reading() override;
  void resume_reading() override;
  void write(std::string data, WriteCallback done = {}) override;
  std::size_t write_queue_bytes() const override;
  void close() override;
  void abort() override;
  bool is_closed() const override { return state_ != State::kOpen; }
  std::string peer_address() const override { return inner_->peer_address(); }
  std::optional<std::string> peer_certificate_der() const override { return peer_der_; }

  // "TLSv1.3" and the cipher suite name ("TLS_AES_256_GCM_SHA384"), after the handshake.
  std::string protocol() const;
  std::string cipher() const;

 private:
  friend std::shared_ptr<TlsStream> handshake(uv::Loop&, uv::ByteStreamPtr,
                                              std::shared_ptr<TlsContext>, HandshakeCallback,
                                              HandshakeOptions);
  enum class State { kHandshaking, kOpen, kClosing, kFailed, kClosed };

  Status init(const HandshakeOptions& options);
  void begin(HandshakeCallback done, std::chrono::milliseconds timeout);
  void on_inner_read(std::string_view data);
  void on_inner_close(const Status& why);
  void drive_handshake();
  void fail_handshake(Error error, bool abort_inner);
  void pump();
  void schedule_pump();
  void update_inner_reading();
  void flush_output(WriteCallback done = {});
  void close_with(Status why, bool send_close_notify);
  void deliver_close(Status why);
  Error describe_failure(int ssl_error, bool handshaking);

  uv::Loop& loop_;
  uv::ByteStreamPtr inner_;
  std::shared_ptr<TlsContext> ctx_;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // ciphertext from the network, owned by ssl_
  BIO* wbio_ = nullptr;  // ciphertext for the network, owned by ssl_
  std::shared_ptr<TlsStream> self_;
  State state_ = State::kHandshaking;
  HandshakeCallback handshake_done_;
  std::optional<uv::Timer> handshake_timer_;
  ReadCallback on_read_;
  CloseCallback on_close_;
  std::optional<Status> close_status_;
  bool started_ = false;
  bool paused_ = false;
  bool pump_scheduled_ = false;
  bool in_pump_ = false;
  bool close_delivered_ = false;
  std::optional<std::string> peer_der_;
};

// Starts a TLS handshake over `inner`, which must be open and not yet started (this takes
// it over). The role comes from ctx. done runs exactly once, never inside this call: with
// the verified stream (not yet started; call start() on it) or the error. The returned
// pointer lets the caller abort() a handshake in progress (done then gets kUnavailable).
std::shared_ptr<TlsStream> handshake(uv::Loop& loop, uv::ByteStreamPtr inner,
                                     std::shared_ptr<TlsContext> ctx, HandshakeCallback done,
                                     HandshakeOptions options = {});

}  // namespace ward::tls
