# Runs COMMAND (arguments separated by '|') and succeeds only if it exits
# non-zero AND its output matches REGEX: an error test must both fail and
# say why. Usage: cmake -DCOMMAND=a|b|c -DREGEX=... -P ExpectFailure.cmake
string(REPLACE "|" ";" command "${COMMAND}")
execute_process(COMMAND ${command}
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
message("${output}")
if(result EQUAL 0)
  message(FATAL_ERROR "expected a non-zero exit, got 0")
endif()
if(NOT output MATCHES "${REGEX}")
  message(FATAL_ERROR "the output does not match '${REGEX}'")
endif()
