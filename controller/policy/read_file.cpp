#include "controller/policy/read_file.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>

namespace ward::policy {

Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Error::from_errno("opening " + quote(path, 256), errno);
  std::string out;
  char buf[65536];
  while (true) {
    std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    out.append(buf, n);
    if (out.size() > max_bytes) {
      return Error::invalid_argument(quote(path, 256) + " is larger than " +
                                     std::to_string(max_bytes) + " bytes");
    }
    if (n < sizeof buf) {
      if (std::ferror(f.get())) return Error::from_errno("reading " + quote(path, 256), errno);
      break;
    }
  }
  return out;
}

}  // namespace ward::policy
