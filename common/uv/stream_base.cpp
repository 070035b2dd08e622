#include "common/uv/stream_base.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace ward::uv::detail {

namespace {
constexpr std::size_t kReadBufferSize = 64 * 1024;
constexpr std::size_t kMaxBufLength = std::size_t{1} << 30;

Error stream_error(int status) {
  std::string msg = "connection failed: ";
  msg += uv_strerror(status);
  if (status == UV_ECONNRESET || status == UV_EPIPE || status == UV_ETIMEDOUT ||
      status == UV_ECONNABORTED || status == UV_ENOTCONN) {
    return Error::unavailable(std::move(msg));
  }
  return Error::io(std::move(msg));
}

struct WriteReq {
  uv_write_t req{};
  std::string data;
  ByteStream::WriteCallback done;
};
}  // namespace

StreamBase::StreamBase(Loop& loop) : loop_(loop) {
  std::memset(static_cast<void*>(&pipe_), 0, std::max(sizeof(uv_pipe_t), sizeof(uv_tcp_t)));
}

StreamBase::~StreamBase() = default;

StreamBase* StreamBase::from(uv_handle_t* h) {
  return static_cast<StreamBase*>(static_cast<HandleBase*>(h->data));
}

void StreamBase::handle_initialised() {
  initialised_ = true;
  handle_.data = static_cast<HandleBase*>(this);
  self_ = shared_from_this();
}

void StreamBase::start(ReadCallback on_read, CloseCallback on_close) {
  if (started_) return;
  started_ = true;
  on_read_ = std::move(on_read);
  on_close_ = std::move(on_close);
  if (state_ == State::kClosed) {
    // Closed before anyone listened: report it, later.
    auto self = shared_from_this();
    loop_.defer([self] { self->deliver_close(); });
    return;
  }
  update_reading();
}

void StreamBase::pause_reading() {
  paused_ = true;
  update_reading();
}

void StreamBase::resume_reading() {
  paused_ = false;
  update_reading();
}

void StreamBase::update_reading() {
  bool want = false;
  if (state_ == State::kOpen) {
    want = started_ && !paused_ && !peer_eof_;
  } else if (state_ == State::kClosing) {
    want = !peer_eof_;  // drain and discard until the peer's EOF
  }
  if (want == reading_) return;
  if (want) {
    if (!read_buf_) read_buf_ = std::make_unique<char[]>(kReadBufferSize);
    int rc = uv_read_start(&stream_, &StreamBase::on_alloc, &StreamBase::on_read_cb);
    if (rc != 0) {
      close_handle(stream_error(rc));
      return;
    }
    reading_ = true;
  } else {
    uv_read_stop(&stream_);
    reading_ = false;
  }
}

void StreamBase::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
  StreamBase* s = from(h);
  *buf = uv_buf_init(s->read_buf_.get(), kReadBufferSize);
}

void StreamBase::on_read_cb(uv_stream_t* st, ssize_t nread, const uv_buf_t* buf) {
  StreamBase* s = from(reinterpret_cast<uv_handle_t*>(st));
  if (nread > 0) {
    if (s->state_ == State::kOpen && s->started_ && !s->paused_ && s->on_read_) {
      s->on_read_(std::string_view(buf->base, static_cast<std::size_t>(nread)));
    }
    return;
  }
  if (nread == 0) return;  // EAGAIN
  if (nread == UV_EOF) {
    s->peer_eof_ = true;
    s->update_reading();
    if (s->state_ == State::kOpen) {
      s->begin_graceful_close(ok());
    } else if (s->state_ == State::kClosing && s->shutdown_done_) {
      s->close_handle(ok());
    }
    return;
  }
  s->close_handle(stream_error(static_cast<int>(nread)));
}

void StreamBase::write(std::string data, WriteCallback done) {
  if (state_ != State::kOpen) {
    write_failed_later(std::move(done), Error::unavailable("write on a closed stream"));
    return;
  }
  if (data.empty()) {
    if (done) {
      auto self = shared_from_this();
      loop_.defer([self, done = std::move(done)] {
        if (!self->close_delivered_) done(ok());
      });
    }
    return;
  }
  auto* req = new WriteReq{{}, std::move(data), std::move(done)};
  req->req.data = req;
  // uv_buf_t lengths are unsigned int: split larger writes (libuv copies the buf array).
  std::vector<uv_buf_t> bufs;
  for (std::size_t off = 0; off < req->data.size(); off += kMaxBufLength) {
    std::size_t len = std::min(kMaxBufLength, req->data.size() - off);
    bufs.push_back(uv_buf_init(req->data.data() + off, static_cast<unsigned>(len)));
  }
  int rc = uv_write(&req->req, &stream_, bufs.data(), static_cast<unsigned>(bufs.size()),
                    [](uv_write_t* r, int status) {
                      std::unique_ptr<WriteReq> owned(static_cast<WriteReq*>(r->data));
                      // libuv runs write callbacks (ECANCELED for a closing handle) before the
                      // close callback, so the stream is alive here.
                      StreamBase* s = from(reinterpret_cast<uv_handle_t*>(r->handle));
                      if (status == 0) {
                        if (owned->done && !s->close_delivered_) owned->done(ok());
                        return;
                      }
                      Error err = status == UV_ECANCELED
                                      ? Error::unavailable("stream closed before the write")
                                      : stream_error(status);
                      if (owned->done && !s->close_delivered_) owned->done(err);
                      if (status != UV_ECANCELED) {
                        if (s->state_ == State::kClosing)
                          s->close_status_ = err;  // the flush failed
                        s->close_handle(err);
                      }
                    });
  if (rc != 0) {
    std::unique_ptr<WriteReq> owned(req);
    Error err = stream_error(rc);
    write_failed_later(std::move(owned->done), err);
    close_handle(err);
  }
}

void StreamBase::write_failed_later(WriteCallback done, Error error) {
  if (!done) return;
  auto self = shared_from_this();
  loop_.defer([self, done = std::move(done), error = std::move(error)] {
    if (!self->close_delivered_) done(error);
  });
}

std::size_t StreamBase::write_queue_bytes() const {
  if (state_ == State::kClosed || !initialised_) return 0;
  return uv_stream_get_write_queue_size(&stream_);
}

void StreamBase::close() {
  if (state_ != State::kOpen) return;
  begin_graceful_close(ok());
}

void StreamBase::begin_graceful_close(Status why) {
  state_ = State::kClosing;
  close_status_ = std::move(why);
  update_reading();
  if (state_ != State::kClosing) return;  // update_reading failed and closed the handle
  shutdown_req_.data = this;
  int rc = uv_shutdown(&shutdown_req_, &stream_, [](uv_shutdown_t* req, int status) {
    static_cast<StreamBase*>(req->data)->shutdown_done(status);
  });
  if (rc != 0) close_handle(ok());
}

void StreamBase::shutdown_done(int status) {
  if (state_ != State::kClosing) return;  // closed meanwhile (ECANCELED)
  shutdown_done_ = true;
  if (status != 0 || peer_eof_) {
    close_handle(ok());
    return;
  }
  uv_timer_init(loop_.raw(), &linger_);
  linger_.data = static_cast<HandleBase*>(this);
  linger_initialised_ = true;
  uv_timer_start(
      &linger_, [](uv_timer_t* t) { from(reinterpret_cast<uv_handle_t*>(t))->close_handle(ok()); },
      static_cast<std::uint64_t>(kLingerTimeout.count()), 0);
}

void StreamBase::abort() {
  if (state_ == State::kHandleClosing || state_ == State::kClosed) return;
  close_status_.reset();
  close_handle(Error::unavailable("connection aborted locally"), /*reset=*/true);
}

void StreamBase::force_close() {
  close_handle(Error::unavailable("event loop closed"));
}

void StreamBase::close_handle(Status why, bool reset) {
  if (state_ == State::kHandleClosing || state_ == State::kClosed) return;
  const bool was_open = state_ == State::kOpen;
  state_ = State::kHandleClosing;
  if (!close_status_) close_status_ = std::move(why);
  if (!initialised_) {
    state_ = State::kClosed;
    return;
  }
  reading_ = false;
  handles_closing_ = 1;
  if (reset && is_tcp_ && was_open &&
      uv_tcp_close_reset(&tcp_, &StreamBase::on_handle_closed) == 0) {
    // close_reset closes the handle itself.
  } else {
    uv_close(&handle_, &StreamBase::on_handle_closed);
  }
  if (linger_initialised_) {
    ++handles_closing_;
    uv_close(reinterpret_cast<uv_handle_t*>(&linger_), &StreamBase::on_handle_closed);
  }
}

void StreamBase::on_handle_closed(uv_handle_t* h) {
  from(h)->one_handle_closed();
}

void StreamBase::one_handle_closed() {
  if (--handles_closing_ > 0) return;
  state_ = State::kClosed;
  auto keep = std::move(self_);  // may be the last reference: lives until we return
  if (started_) deliver_close();
}

void StreamBase::deliver_close() {
  if (close_delivered_) return;
  close_delivered_ = true;
  auto cb = std::move(on_close_);
  on_close_ = nullptr;
  on_read_ = nullptr;
  Status why = close_status_ ? *close_status_ : Status(ok());
  if (cb) cb(why);
}

}  // namespace ward::uv::detail
