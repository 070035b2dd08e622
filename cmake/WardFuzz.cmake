# ward_fuzz(NAME SOURCES a.cpp ... LIBS lib ...): one libFuzzer target. Every fuzz binary
# lands in ${CMAKE_BINARY_DIR}/fuzz/, where scripts/fuzz.sh finds and runs them all.
# Sources stay beside the parser they exercise; seeds live in tests/fuzz/corpus/NAME/.
function(ward_fuzz name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ward_options ${F_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  set_property(GLOBAL APPEND PROPERTY WARD_FUZZ_TARGETS ${name})
endfunction()

# After every directory is processed: the list of fuzz targets, one per line, so
# scripts/fuzz.sh builds just those (and what they link) instead of every binary.
function(ward_write_fuzz_target_list)
  get_property(targets GLOBAL PROPERTY WARD_FUZZ_TARGETS)
  list(JOIN targets "\n" text)
  file(WRITE ${CMAKE_BINARY_DIR}/fuzz_targets.txt "${text}\n")
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL ward_write_fuzz_target_list)
