# ward_test(NAME LABEL unit|integration|vm SOURCES a.cpp ... LIBS lib ...)
#
# One Catch2 v2 executable per call; each TEST_CASE becomes a ctest test carrying LABEL,
# so `ctest -L unit` runs pure tests (no root, no network) and `ctest -L integration` the
# network-namespace scenarios. Integration tests are RUN_SERIAL unless PARALLEL is given:
# they share /var/run/wireguard and the host's nftables.
function(ward_test name)
  cmake_parse_arguments(T "PARALLEL" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL)
    message(FATAL_ERROR "ward_test(${name}): LABEL is required")
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ward_catch_main ward_options ${T_LIBS})
  set(_props LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT})
  if(NOT T_LABEL STREQUAL "unit" AND NOT T_PARALLEL)
    list(APPEND _props RUN_SERIAL TRUE)
  endif()
  catch_discover_tests(${name} TEST_PREFIX "${name}: " PROPERTIES ${_props})
endfunction()
