# ward_fuzz(NAME SOURCES a.cpp ... LIBS lib ...): one libFuzzer target. Every fuzz binary
# lands in ${CMAKE_BINARY_DIR}/fuzz/, where scripts/fuzz.sh finds and runs them all.
# Sources stay beside the parser they exercise; seeds live in tests/fuzz/corpus/NAME/.
function(ward_fuzz name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ward_options ${F_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
endfunction()
