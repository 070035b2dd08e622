# ward_options: warnings and sanitizers for Ward's own code (third-party headers are
# system includes and do not trip -Werror).
add_library(ward_options INTERFACE)
target_include_directories(ward_options INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_options(ward_options INTERFACE
  -Wall -Wextra -Werror -Wnon-virtual-dtor -Wcast-qual -Wformat=2
  -Wimplicit-fallthrough -Wno-missing-field-initializers
  $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
  $<$<CXX_COMPILER_ID:Clang>:-Wshadow-uncaptured-local>)
# GCC 12 reports impossible std::string overlaps under -O3 (CMAKE_BUILD_TYPE=Release) in
# plain `"[" + str` and `str = "literal"` code: GCC bug 105329 / 105651, fixed in GCC 13.
# Keep the warning, but do not let the false positive fail a Release build.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(ward_options INTERFACE -Wno-error=restrict)
endif()
target_compile_definitions(ward_options INTERFACE
  WARD_VERSION="${PROJECT_VERSION}")
target_link_libraries(ward_options INTERFACE Threads::Threads)

if(WARD_SANITIZE)
  set(_ward_san -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_compile_options(${_ward_san})
  add_link_options(${_ward_san})
endif()
if(WARD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "WARD_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
