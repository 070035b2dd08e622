// Reads recorded UAPI exchanges from node/uapi/testdata.
#pragma once

#include <string>

#include "tests/support/files.hpp"

namespace ward::node::uapi::testing {

inline std::string fixture(const std::string& name) {
  return ward::testing::read_file(std::string(WARD_UAPI_TESTDATA) + "/" + name);
}

}  // namespace ward::node::uapi::testing
