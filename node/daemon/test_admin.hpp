// Test support for node/daemon integration tests (include from tests only): the first
// admin of a fresh TestController.
#pragma once

#include <string>

#include <catch2/catch.hpp>

#include "controller/server/test_controller.hpp"

namespace ward::node::testing {

// Bootstraps the owner account `email` on a fresh controller (bootstrap token, password,
// TOTP enrolment) and logs in with password + TOTP. Returns the admin session token;
// REQUIREs every step.
inline std::string bootstrap_owner(const controller::testing::TestController& c,
                                   const std::string& email) {
  controller::testing::TotpUser owner{email, "correct horse battery staple 1", ""};
  return controller::testing::bootstrap_owner(c, owner);
}

}  // namespace ward::node::testing
