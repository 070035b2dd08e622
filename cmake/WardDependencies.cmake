# Every dependency is a Debian 12 package (deploy/install-deps.sh installs them all).
# Nothing is vendored and nothing is downloaded at build time.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(LIBMNL REQUIRED IMPORTED_TARGET libmnl)
pkg_check_modules(LIBNFTABLES REQUIRED IMPORTED_TARGET libnftables)
pkg_check_modules(LIBARGON2 REQUIRED IMPORTED_TARGET libargon2)
pkg_check_modules(LIBQRENCODE REQUIRED IMPORTED_TARGET libqrencode)

find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
add_library(ward::http_parser UNKNOWN IMPORTED)
set_target_properties(ward::http_parser PROPERTIES
  IMPORTED_LOCATION ${HTTP_PARSER_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${HTTP_PARSER_INCLUDE_DIR})

if(WARD_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
  include(Catch)
endif()
if(WARD_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
