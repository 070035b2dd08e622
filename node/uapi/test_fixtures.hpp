// Reads recorded UAPI exchanges from node/uapi/testdata.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace ward::node::uapi::testing {

inline std::string fixture(const std::string& name) {
  std::ifstream in(std::string(WARD_UAPI_TESTDATA) + "/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ward::node::uapi::testing
