#include "controller/wardctl/api_error.hpp"

#include <catch2/catch.hpp>

namespace ward::wardctl {

TEST_CASE("API error bodies map to ward::Error with the API's message", "[unit]") {
  auto e = error_from_response(
      400, R"({"error":{"code":"invalid_argument","message":"$.role: expected one of owner"}})");
  CHECK(e.code() == ErrorCode::kInvalidArgument);
  CHECK(e.message() == "$.role: expected one of owner");

  CHECK(
      error_from_response(403, R"({"error":{"code":"permission_denied","message":"no"}})").code() ==
      ErrorCode::kPermissionDenied);
  CHECK(error_from_response(409, R"({"error":{"code":"already_exists","message":"x"}})").code() ==
        ErrorCode::kAlreadyExists);
  CHECK(error_from_response(401, R"({"error":{"code":"unauthenticated","message":"x"}})").code() ==
        ErrorCode::kUnauthenticated);
}

TEST_CASE("API errors fall back to the HTTP status for unknown codes or bodies", "[unit]") {
  struct Case {
    int status;
    ErrorCode code;
  };
  for (Case c : {Case{400, ErrorCode::kInvalidArgument}, Case{401, ErrorCode::kUnauthenticated},
                 Case{403, ErrorCode::kPermissionDenied}, Case{404, ErrorCode::kNotFound},
                 Case{409, ErrorCode::kAlreadyExists}, Case{422, ErrorCode::kInvalidArgument},
                 Case{429, ErrorCode::kUnavailable}, Case{503, ErrorCode::kUnavailable},
                 Case{500, ErrorCode::kInternal}, Case{418, ErrorCode::kInvalidArgument}}) {
    INFO(c.status);
    auto e = error_from_response(c.status, "<html>oops</html>");
    CHECK(e.code() == c.code);
    CHECK(e.message().find(std::to_string(c.status)) != std::string::npos);
    CHECK(e.message().find("oops") == std::string::npos);  // bodies are not echoed
    auto u = error_from_response(c.status, R"({"error":{"code":"bogus","message":"m"}})");
    CHECK(u.code() == c.code);
    CHECK(u.message().rfind("m", 0) == 0);
  }
  CHECK(error_from_response(404, "").code() == ErrorCode::kNotFound);
  CHECK(error_from_response(404, R"({"error":"flat"})").code() == ErrorCode::kNotFound);
}

TEST_CASE("API error messages are made terminal-safe and bounded", "[unit]") {
  std::string long_msg(5000, 'a');
  auto e = error_from_response(
      400, R"({"error":{"code":"invalid_argument","message":"bad\u001b[31m )" + long_msg + "\"}}");
  CHECK(e.message().find('\x1b') == std::string::npos);
  CHECK(e.message().size() <= kMaxApiMessage + 3);
}

TEST_CASE("429 carries Retry-After", "[unit]") {
  auto e =
      error_from_response(429, R"({"error":{"code":"unavailable","message":"locked out"}})", "30");
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(e.message() == "locked out (try again in 30 s)");
}

TEST_CASE("error code names round-trip", "[unit]") {
  for (ErrorCode c : {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kInternal,
                      ErrorCode::kUnauthenticated}) {
    CHECK(error_code_from_name(error_code_name(c)) == c);
  }
  CHECK_FALSE(error_code_from_name("nope"));
}

}  // namespace ward::wardctl

TEST_CASE("terminal_safe_text keeps lines and tabs, escapes other controls", "[unit]") {
  using ward::wardctl::terminal_safe_text;
  CHECK(terminal_safe_text("{\n\t\"acls\": []\n}\n") == "{\n\t\"acls\": []\n}\n");
  CHECK(terminal_safe_text("a\x1b[2Jb\nc\r") == "a\\x1B[2Jb\nc\\x0D");
  CHECK(terminal_safe_text("") == "");
  CHECK(terminal_safe_text("\n") == "\n");
  CHECK(terminal_safe_text("caf\xc3\xa9\n") == "caf\xc3\xa9\n");
}
