#include "node/wg/endpoint.hpp"

#include <arpa/inet.h>

namespace ward::wg {

std::string to_string(const Endpoint& e) {
  char buf[INET6_ADDRSTRLEN] = {};
  std::string s;
  s.reserve(sizeof buf + 8);
  if (e.family == 4) {
    inet_ntop(AF_INET, e.addr.data(), buf, sizeof buf);
    s.append(buf);
  } else if (e.family == 6) {
    inet_ntop(AF_INET6, e.addr.data(), buf, sizeof buf);
    s.push_back('[');
    s.append(buf);
    s.push_back(']');
  } else {
    return "(none)";
  }
  s.push_back(':');
  s.append(std::to_string(e.port));
  return s;
}

}  // namespace ward::wg
