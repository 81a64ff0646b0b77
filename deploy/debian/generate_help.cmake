# Run at install time (package.cmake): writes ${out}/provisioner (the bash
# completion) and ${out}/provisioner.1.gz (the man page) from what ${bin}
# prints. Any failure stops the install with the command's own words.
file(MAKE_DIRECTORY "${out}")
function(run_to_file file)
  execute_process(COMMAND "${bin}" ${ARGN} OUTPUT_FILE "${file}" ERROR_VARIABLE err RESULT_VARIABLE rc)
  file(SIZE "${file}" size)
  string(JOIN " " words ${ARGN})
  if(NOT rc EQUAL 0 OR size EQUAL 0)
    message(FATAL_ERROR "'provisioner ${words}' failed (exit ${rc}, ${size} bytes): ${err}")
  endif()
endfunction()
run_to_file("${out}/provisioner" completion bash)
run_to_file("${out}/provisioner.1" man)
# -n: no name or time stamp inside, so the same page gives the same bytes.
execute_process(COMMAND gzip -9nf "${out}/provisioner.1" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${out}/provisioner.1 failed (exit ${rc})")
endif()
