#include "node/daemon/control_socket.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/base/error.hpp"
#include "common/json/parse.hpp"

namespace ward::node::daemon {
namespace {

constexpr std::size_t kMaxRequest = 4096;
constexpr std::size_t kMaxResponse = 4 << 20;

Result<int> connect_unix(const std::string& path) {
  sockaddr_un sa{};
  if (path.size() >= sizeof sa.sun_path)
    return Error::invalid_argument("socket path too long: " + quote(path));
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno("socket", errno);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    ::close(fd);
    if (e == ENOENT || e == ECONNREFUSED)
      return Error::unavailable("no ward-node daemon listens on " + path);
    return Error::from_errno("connect " + path, e);
  }
  return fd;
}

}  // namespace

bool socket_answers(const std::string& path) {
  auto fd = connect_unix(path);
  if (!fd) return false;
  ::close(*fd);
  return true;
}

Result<std::unique_ptr<ControlSocketServer>> ControlSocketServer::listen(uv::Loop& loop,
                                                                         std::string path,
                                                                         Handler handler) {
  if (socket_answers(path))
    return Error::already_exists("a ward-node daemon already listens on " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error::from_errno("remove stale " + path, errno);
  std::unique_ptr<ControlSocketServer> server(new ControlSocketServer());
  server->handler_ = std::make_shared<Handler>(std::move(handler));
  std::weak_ptr<Handler> weak = server->handler_;
  auto on_accept = [weak](uv::ByteStreamPtr stream) {
    auto* unix_stream = dynamic_cast<uv::UnixStream*>(stream.get());
    auto creds = unix_stream ? unix_stream->peer_credentials()
                             : Result<uv::PeerCredentials>(Error::internal("not a unix stream"));
    if (!creds || (creds->uid != 0 && creds->uid != ::geteuid())) {
      stream->abort();
      return;
    }
    auto buffer = std::make_shared<std::string>();
    auto answered = std::make_shared<bool>(false);
    std::weak_ptr<uv::ByteStream> ws = stream;
    stream->start(
        [weak, ws, buffer, answered](std::string_view data) {
          auto s = ws.lock();
          if (!s || *answered) return;
          buffer->append(data);
          nlohmann::json reply;
          auto nl = buffer->find('\n');
          if (nl == std::string::npos) {
            if (buffer->size() <= kMaxRequest) return;
            reply = {{"error", "request too long"}};
          } else {
            auto doc =
                json::parse(std::string_view(*buffer).substr(0, nl), {.max_bytes = kMaxRequest});
            auto h = weak.lock();
            if (!doc || !doc->is_object() || !doc->contains("command") ||
                !(*doc)["command"].is_string()) {
              reply = {{"error", "expected {\"command\": \"status\"|\"down\"}"}};
            } else if (!h) {
              reply = {{"error", "the daemon is shutting down"}};
            } else {
              reply = (*h)((*doc)["command"].get<std::string>());
            }
          }
          *answered = true;
          s->write(reply.dump() + "\n");
          s->close();
        },
        [](const ward::Status&) {});
  };
  WARD_ASSIGN_OR_RETURN(auto listener,
                        uv::PipeListener::listen(loop, path, std::move(on_accept), 0600));
  server->listener_.emplace(std::move(listener));
  return server;
}

Result<nlohmann::json> send_command(const std::string& socket_path, const std::string& command,
                                    std::chrono::milliseconds timeout) {
  WARD_ASSIGN_OR_RETURN(int fd, connect_unix(socket_path));
  std::string req = nlohmann::json{{"command", command}}.dump() + "\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    int e = errno;
    ::close(fd);
    return Error::from_errno("send to " + socket_path, e);
  }
  std::string resp;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::close(fd);
      return Error::unavailable("the daemon did not answer within " +
                                std::to_string(timeout.count()) + " ms");
    }
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[8192];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    resp.append(buf, static_cast<std::size_t>(n));
    if (resp.size() > kMaxResponse) {
      ::close(fd);
      return Error::corruption("the daemon's answer is too long");
    }
  }
  ::close(fd);
  auto doc = json::parse(resp, {.max_bytes = kMaxResponse});
  if (!doc) return Error::corruption("the daemon's answer is not JSON: " + doc.error().message());
  return *doc;
}

}  // namespace ward::node::daemon
